//! `archeo export`: regenerates the regions between `<!-- archeo:begin ARGS -->` and
//! `<!-- archeo:end -->` in Markdown files. Every byte outside those regions is kept; line
//! endings follow the begin marker's (CRLF files stay CRLF); files are replaced atomically.
//! Markers inside fenced code blocks (```` ``` ```` or `~~~`) are text, not regions. A read-only
//! document is refused unless forced; a symbolic link is written through to its target.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::index::Index;
use crate::query::cancel::Cancel;
use crate::query::history::{DiffScope, Subject};
use crate::query::syntax::Query;
use crate::report::{evidence, md_controls};
use crate::source::lock::{Lock, Pin, RefKind};

/// A block's first argument asking for the printer's whole Markdown instead of the compact form.
pub const FULL: &str = "--full";

/// One region of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// 1-based line of the begin marker.
    pub line: usize,
    /// The marker's arguments, split as a shell would.
    pub args: Vec<String>,
    /// Byte range of the generated content (after the begin line, up to the end marker's line).
    pub content: std::ops::Range<usize>,
    /// The begin line's line ending.
    pub eol: &'static str,
}

/// A fenced code block's opening: its character (`` ` `` or `~`) and length.
fn fence_open(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|x| *x == c).count();
    // A backtick fence's info string may not hold backticks (CommonMark).
    (len >= 3 && !(c == '`' && rest[len..].contains('`'))).then_some((c, len))
}

/// Does `line` close a fence opened with `c` repeated `len` times?
fn fence_closes(line: &str, (c, len): (char, usize)) -> bool {
    let t = line.trim_start_matches(' ');
    line.len() - t.len() <= 3
        && t.chars().take_while(|x| *x == c).count() >= len
        && t.trim_start_matches(c).trim().is_empty()
}

/// A marker line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker<'a> {
    /// `<!-- archeo:begin ARGS -->`: the arguments' text.
    Begin(&'a str),
    /// `<!-- archeo:end -->`.
    End,
}

/// Reads `line` as a marker. A marker is an HTML comment alone on its line, indented by at most
/// three spaces (CommonMark: more is an indented code block or a paragraph's continuation,
/// never an HTML block), holding `archeo:begin` and its arguments or exactly `archeo:end`.
/// `None`: not an `archeo:` comment (text); `Err`: an `archeo:` comment that is no marker
/// (`archeo:endless`, an unclosed begin), which a document must not hold by mistake.
fn marker(line: &str) -> Option<Result<Marker<'_>, String>> {
    let rest = line.trim_start_matches(' ');
    if line.len() - rest.len() > 3 {
        return None;
    }
    let inner = rest.trim_end().strip_prefix("<!--")?.trim_start();
    let after = inner.strip_prefix("archeo:")?;
    let word_end = after
        .find(|c: char| c.is_whitespace() || c == '-')
        .unwrap_or(after.len());
    let (word, tail) = after.split_at(word_end);
    Some(match word {
        "begin" => match tail.strip_suffix("-->") {
            Some(args) if tail.starts_with(char::is_whitespace) => Ok(Marker::Begin(args)),
            Some(_) => Err("archeo:begin needs arguments (e.g. `--rule ID` or a query)".into()),
            None => Err("archeo:begin marker is not closed with -->".into()),
        },
        "end" if tail.trim() == "-->" => Ok(Marker::End),
        "end" => {
            Err("archeo:end takes nothing but the closing -->: write <!-- archeo:end -->".into())
        }
        other => Err(format!(
            "unknown marker archeo:{other}: archeo reads <!-- archeo:begin ARGS --> and <!-- archeo:end -->"
        )),
    })
}

/// Finds the blocks of a document; unbalanced or nested markers and bad ARGS are errors naming
/// FILE:LINE. Markers inside fenced code blocks (inside a region too: a block quotes code in
/// fences) and indented by four spaces or more are text, as CommonMark renders them. A UTF-8
/// byte order mark before the first line is not part of it.
pub fn parse_blocks(path: &Path, text: &str) -> Result<Vec<Block>> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, Vec<String>, usize, &'static str)> = None;
    let mut fence: Option<(char, usize)> = None;
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let line_start = offset;
        offset += raw.len();
        let eol = if raw.ends_with("\r\n") { "\r\n" } else { "\n" };
        let mut bare = raw.trim_end_matches(['\n', '\r']);
        if i == 0 {
            bare = bare.strip_prefix('\u{feff}').unwrap_or(bare);
        }
        if let Some(f) = fence {
            if fence_closes(bare, f) {
                fence = None;
            }
            continue;
        }
        if let Some(f) = fence_open(bare) {
            fence = Some(f);
            continue;
        }
        let m = match marker(bare) {
            None => continue,
            Some(Ok(m)) => m,
            Some(Err(e)) => bail!("{}:{n}: {e}", path.display()),
        };
        match m {
            Marker::Begin(args) => {
                if let Some((l, ..)) = &open {
                    bail!(
                        "{}:{n}: archeo:begin inside the block opened at line {l}: blocks cannot nest; add <!-- archeo:end --> first",
                        path.display()
                    );
                }
                let args = shell_words::split(args.trim()).map_err(|e| {
                    anyhow::anyhow!("{}:{n}: bad arguments in archeo:begin: {e}", path.display())
                })?;
                if args.is_empty() {
                    bail!(
                        "{}:{n}: archeo:begin needs arguments (e.g. `--rule ID` or a query)",
                        path.display()
                    );
                }
                open = Some((n, args, offset, eol));
            }
            Marker::End => {
                let Some((l, args, start, eol)) = open.take() else {
                    bail!("{}:{n}: archeo:end without an archeo:begin", path.display());
                };
                blocks.push(Block {
                    line: l,
                    args,
                    content: start..line_start,
                    eol,
                });
            }
        }
    }
    if let Some((l, ..)) = open {
        bail!(
            "{}:{l}: archeo:begin has no matching <!-- archeo:end -->{}",
            path.display(),
            if fence.is_some() {
                " (a code fence opened after it is never closed)"
            } else {
                ""
            }
        );
    }
    Ok(blocks)
}

/// Generated content as it may stand in a document: every control character but a line end
/// and a tab is shown as [`md_controls`] shows it (a lone `\r` as `␍`, ESC as `␛`), a line that
/// the scanner would read as a marker (upstream text quoted outside a code fence) gets its `<`
/// escaped (`\<!-- ...`, which renders as the text it is), and a fence left open is closed, so
/// nothing archeo writes can end its block or open another, or act on the terminal that shows
/// the document. Lines inside fences are code, which the scanner skips.
pub fn neutralise(body: &str) -> std::borrow::Cow<'_, str> {
    // A lone `\r` ends a line for a CommonMark renderer but not for the scanner: none may stay.
    let controls = body
        .split("\r\n")
        .any(|p| matches!(md_controls(p), std::borrow::Cow::Owned(_)));
    let shown;
    let body = if controls {
        shown = body
            .split("\r\n")
            .map(md_controls)
            .collect::<Vec<_>>()
            .join("\r\n");
        shown.as_str()
    } else {
        body
    };
    let mut fence: Option<(char, usize)> = None;
    let mut out = String::new();
    let mut changed = controls;
    for raw in body.split_inclusive('\n') {
        let bare = raw.trim_end_matches(['\n', '\r']);
        if let Some(f) = fence {
            if fence_closes(bare, f) {
                fence = None;
            }
        } else if let Some(f) = fence_open(bare) {
            fence = Some(f);
        } else if marker(bare).is_some() {
            let indent = bare.len() - bare.trim_start_matches(' ').len();
            out.push_str(&raw[..indent]);
            out.push('\\');
            out.push_str(&raw[indent..]);
            changed = true;
            continue;
        }
        out.push_str(raw);
    }
    if let Some((c, len)) = fence {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&c.to_string().repeat(len));
        out.push('\n');
        changed = true;
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Owned(body.to_string())
    }
}

/// The document with every block's content replaced by `generate(block)`.
pub fn regenerate(
    text: &str,
    blocks: &[Block],
    mut generate: impl FnMut(&Block) -> Result<String>,
) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for b in blocks {
        out.push_str(&text[at..b.content.start]);
        let body = generate(b)?;
        let body = neutralise(&body).into_owned();
        let mut body = if b.eol == "\r\n" {
            body.replace("\r\n", "\n").replace('\n', "\r\n")
        } else {
            body
        };
        if !body.is_empty() && !body.ends_with(b.eol) {
            body.push_str(b.eol);
        }
        out.push_str(&body);
        at = b.content.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// A unified diff of a block's current and regenerated content.
pub fn diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header("in the document", "regenerated")
        .to_string()
}

/// What one block asks for: its arguments parsed by the command-line definitions of the
/// command it names (`evidence` when it names none).
#[derive(Debug, Clone)]
pub enum BlockRequest {
    /// `archeo evidence`.
    Evidence(evidence::Request),
    /// `archeo diff A B`.
    Diff {
        /// Old side.
        a: String,
        /// New side.
        b: String,
        /// Rules (every rule when empty and `search` is None).
        rules: Vec<String>,
        /// Compare search hits instead.
        search: Option<Query>,
        /// `--path`, `--no-vendor`.
        scope: DiffScope,
    },
    /// `archeo timeline`.
    Timeline {
        /// Rules followed.
        rules: Vec<String>,
        /// Or a search.
        search: Option<Query>,
        /// Repositories.
        repos: Vec<String>,
    },
    /// `archeo deps REPO@REV`.
    Deps {
        /// The release.
        at: String,
        /// Hops to follow.
        depth: usize,
        /// Edges to unpinned dependencies too.
        all: bool,
    },
    /// `archeo deps --find REPO`.
    DepsFind {
        /// The repository (or alias) looked for.
        name: String,
        /// Consumers.
        repos: Vec<String>,
        /// Nested-module lines too.
        all: bool,
    },
    /// `archeo affected`.
    Affected {
        /// What a component must hold.
        target: crate::query::deps::Target,
        /// How it was asked.
        asked: String,
        /// Rule ids named (checked).
        rules: Vec<String>,
        /// Consumers.
        repos: Vec<String>,
        /// Only the first carrying release per consumer.
        first: bool,
    },
    /// `archeo refs NAME` or `archeo callers NAME`.
    Xref {
        /// Which question.
        ask: crate::query::xref::Ask,
        /// The name.
        name: crate::xref::Name,
        /// `REPO@REV` selectors.
        at: Vec<String>,
        /// Repositories.
        repos: Vec<String>,
    },
    /// `archeo path FROM TO`.
    Path {
        /// Where paths start.
        from: crate::xref::Name,
        /// Where they end.
        to: crate::xref::Name,
        /// `REPO@REV` selectors.
        at: Vec<String>,
        /// Repositories.
        repos: Vec<String>,
        /// Paths per revision.
        max: usize,
    },
    /// `archeo identify PATH...`.
    Identify(crate::query::identify::Request),
    /// `archeo explain MESSAGE` (the message is required: a block never reads stdin).
    Explain {
        /// The message.
        message: String,
        /// `REPO@REV` selectors.
        at: Vec<String>,
        /// Repositories.
        repos: Vec<String>,
    },
}

impl BlockRequest {
    /// The rule ids the block names.
    fn rules(&self) -> &[String] {
        match self {
            BlockRequest::Evidence(r) => &r.rules,
            BlockRequest::Identify(r) => &r.rules,
            BlockRequest::Affected { rules, .. } => rules,
            BlockRequest::Deps { .. }
            | BlockRequest::DepsFind { .. }
            | BlockRequest::Xref { .. }
            | BlockRequest::Path { .. } => &[],
            BlockRequest::Diff { rules, .. } | BlockRequest::Timeline { rules, .. } => rules,
            BlockRequest::Explain { .. } => &[],
        }
    }

    /// The selectors whose revisions must be indexed at their pinned commits (empty: all pins).
    fn selectors(&self) -> Vec<String> {
        match self {
            BlockRequest::Evidence(r) => r.scope.at.clone(),
            BlockRequest::Diff { a, b, .. } => vec![a.clone(), b.clone()],
            BlockRequest::Timeline { .. } => Vec::new(),
            BlockRequest::Explain { at, .. } => at.clone(),
            BlockRequest::Identify(_)
            | BlockRequest::Affected { .. }
            | BlockRequest::DepsFind { .. } => Vec::new(),
            BlockRequest::Deps { at, .. } => vec![at.clone()],
            BlockRequest::Xref { at, .. } | BlockRequest::Path { at, .. } => at.clone(),
        }
    }

    /// The block's Markdown.
    fn render(&self, src: &Sources) -> Result<String> {
        let index = src.index;
        use crate::query::{explain, history};
        use crate::report::to_markdown;
        match self {
            BlockRequest::Evidence(r) => evidence::build(index, r),
            BlockRequest::Diff {
                a,
                b,
                rules,
                search,
                scope,
            } => to_markdown(&history::diff(
                index,
                a,
                b,
                subject(rules, search.as_ref()),
                scope,
                &Cancel::never(),
            )?),
            BlockRequest::Timeline {
                rules,
                search,
                repos,
            } => to_markdown(&history::timeline(
                index,
                subject(rules, search.as_ref()),
                repos,
                &Cancel::never(),
            )?),
            BlockRequest::Explain { message, at, repos } => {
                to_markdown(&explain::explain(index, message, at, repos)?)
            }
            BlockRequest::Deps { at, depth, all } => to_markdown(&crate::query::deps::deps(
                index, at, src.repos, *depth, *all,
            )?),
            BlockRequest::DepsFind { name, repos, all } => to_markdown(&crate::query::deps::find(
                index, src.repos, name, repos, *all,
            )?),
            BlockRequest::Affected {
                target,
                asked,
                repos,
                first,
                ..
            } => to_markdown(&crate::query::deps::affected(
                index, src.repos, target, asked, repos, *first,
            )?),
            BlockRequest::Xref {
                ask,
                name,
                at,
                repos,
            } => to_markdown(&crate::query::xref::xref(index, *ask, name, at, repos)?),
            BlockRequest::Path {
                from,
                to,
                at,
                repos,
                max,
            } => to_markdown(&crate::query::xref::path(index, from, to, at, repos, *max)?),
            BlockRequest::Identify(req) => {
                let pins = src.lock.pins();
                let sources = crate::query::identify::Sources {
                    pins: &pins,
                    aliases: src.aliases,
                    cache_dir: src.cache_dir,
                    index: Some(index),
                };
                to_markdown(&crate::query::identify::identify(&sources, req)?)
            }
        }
    }
}

/// Findings of `rules`, or the hits of `search`.
pub fn subject<'a>(rules: &'a [String], search: Option<&'a Query>) -> Subject<'a> {
    match search {
        Some(q) => Subject::Search(q),
        None => Subject::Rules(rules),
    }
}

/// What export reads besides the documents.
pub struct Sources<'a> {
    /// The opened index.
    pub index: &'a Index,
    /// The lock: every cited revision must be indexed at its pinned commit.
    pub lock: &'a Lock,
    /// The loaded rules' ids: a block's rule ids must be known.
    pub rule_ids: &'a [String],
    /// The repository cache (identify blocks place unpinned commits with it).
    pub cache_dir: &'a Path,
    /// The manifest's aliases (identify blocks).
    pub aliases: &'a [(String, String)],
    /// The pinned repositories with their aliases (deps and affected blocks).
    pub repos: &'a crate::deps::Repos,
}

/// A block whose content differs from what the index gives now.
#[derive(Debug, Clone)]
pub struct Stale {
    /// The begin marker's line.
    pub line: usize,
    /// Unified diff, document -> regenerated.
    pub diff: String,
}

/// What export did to one document.
#[derive(Debug, Clone)]
pub struct DocumentOutcome {
    /// The document.
    pub path: PathBuf,
    /// How many blocks it holds.
    pub blocks: usize,
    /// Blocks that were (or, with --check, would be) changed.
    pub stale: Vec<Stale>,
    /// The document was rewritten.
    pub written: bool,
}

/// Regenerates (or with `check`, only compares) the blocks of each document. `parse` turns a
/// block's arguments into a request (the CLI does it with its own argument definitions). A
/// document is written atomically, and only when every block of it regenerated.
pub fn run(
    src: &Sources,
    files: &[PathBuf],
    check: bool,
    force: bool,
    parse: &dyn Fn(&[String]) -> Result<BlockRequest>,
) -> Result<Vec<DocumentOutcome>> {
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        if !check && !force {
            refuse_read_only(file)?;
        }
        let blocks = parse_blocks(file, &text)?;
        let mut stale = Vec::new();
        let new = regenerate(&text, &blocks, |b| {
            let at = |e: anyhow::Error| anyhow::anyhow!("{}:{}: {e:#}", file.display(), b.line);
            // `--full` before the command: the printer's whole Markdown; else the compact form
            // made for reading (report::compact).
            let (full, args) = match b.args.split_first() {
                Some((first, rest)) if first == FULL => (true, rest),
                _ => (false, &b.args[..]),
            };
            let req = parse(args).map_err(at)?;
            crate::query::findings::check_rule_ids(src.index, src.rule_ids, req.rules())
                .map_err(at)?;
            check_fresh(src.lock, src.index, &req.selectors()).map_err(at)?;
            let body = req.render(src).map_err(at)?;
            let body = if full {
                body
            } else {
                // Pinned commits have no order archeo knows (they sort by hash, after the
                // tags): a range over them would claim one, so their rows are never merged.
                let rank = |repo: &str, rev: &str| {
                    src.index
                        .ordered(repo)
                        .iter()
                        .position(|r| r.rev == rev)
                        .filter(|_| {
                            src.index.find(repo, rev).map(|r| r.kind) != Some(RefKind::Commit)
                        })
                };
                crate::report::compact::compact(&body, &rank)
            };
            let body = neutralise(&body).into_owned();
            let old = &text[b.content.clone()];
            let normalised = if b.eol == "\r\n" {
                body.replace('\n', "\r\n")
            } else {
                body.clone()
            };
            if old != normalised {
                stale.push(Stale {
                    line: b.line,
                    diff: diff(old, &normalised),
                });
            }
            Ok(body)
        })?;
        let written = !check && new != text;
        if written {
            crate::atomic::write(file, new.as_bytes())?;
        }
        out.push(DocumentOutcome {
            path: file.clone(),
            blocks: blocks.len(),
            stale,
            written,
        });
    }
    Ok(out)
}

/// A document nobody may write is one its owner protected: replacing it through a rename would
/// ignore that, so it takes `--force`.
fn refuse_read_only(file: &Path) -> Result<()> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if meta.permissions().readonly() {
        bail!(
            "{} is read-only: archeo does not replace protected documents; make it writable or pass --force",
            file.display()
        );
    }
    Ok(())
}

/// Every selector must name a pinned revision that the index holds at its pinned commit (no
/// selector: every pin).
pub fn check_fresh(lock: &Lock, index: &Index, at: &[String]) -> Result<()> {
    let pins = lock.pins();
    let stale = |p: &Pin| {
        index
            .find(&p.repo, &p.rev)
            .is_none_or(|r| r.commit != p.commit)
    };
    let lacks = |p: &Pin| {
        anyhow::anyhow!(
            "the index lacks {}@{} (pinned at {}): run `archeo index`",
            p.repo,
            p.rev,
            p.commit
        )
    };
    if at.is_empty() {
        return match pins.iter().find(|p| stale(p)) {
            Some(p) => Err(lacks(p)),
            None => Ok(()),
        };
    }
    for sel in at {
        let (repo, rev) = crate::index::selector::parse(sel)?;
        let lower = rev.to_ascii_lowercase();
        let pin = pins.iter().find(|p| {
            p.repo == repo && (p.rev == rev || (rev.len() >= 4 && p.commit.starts_with(&lower)))
        });
        match pin {
            None => bail!(
                "{sel} is not pinned in archeo.lock: add it to archeo.toml and run `archeo fetch && archeo index`"
            ),
            Some(p) if stale(p) => return Err(lacks(p)),
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_found_and_bytes_outside_are_kept() {
        let text = "# T\r\n<!-- archeo:begin --rule x -->\r\nold\r\n<!-- archeo:end -->\r\ntail without newline";
        let blocks = parse_blocks(Path::new("d.md"), text).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].args, ["--rule", "x"]);
        assert_eq!(&text[blocks[0].content.clone()], "old\r\n");
        let out = regenerate(text, &blocks, |_| Ok("new\nlines\n".into())).unwrap();
        assert_eq!(
            out,
            "# T\r\n<!-- archeo:begin --rule x -->\r\nnew\r\nlines\r\n<!-- archeo:end -->\r\ntail without newline"
        );
    }

    #[test]
    fn unbalanced_and_nested_markers_name_the_line() {
        let e = parse_blocks(Path::new("d.md"), "a\n<!-- archeo:begin x -->\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "d.md:2: archeo:begin has no matching <!-- archeo:end -->"
        );
        let e = parse_blocks(Path::new("d.md"), "<!-- archeo:end -->\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("d.md:1: archeo:end without"), "{e}");
        let e = parse_blocks(
            Path::new("d.md"),
            "<!-- archeo:begin a -->\n<!-- archeo:begin b -->\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("d.md:2:") && e.contains("cannot nest"), "{e}");
        let e = parse_blocks(
            Path::new("d.md"),
            "<!-- archeo:begin \"unclosed -->\n<!-- archeo:end -->\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("d.md:1: bad arguments"), "{e}");
    }

    #[test]
    fn markers_in_code_bom_and_lookalikes() {
        let blocks = |t: &str| parse_blocks(Path::new("d.md"), t);
        // A BOM before the first marker does not hide it.
        let b = blocks("\u{feff}<!-- archeo:begin --rule x -->\n<!-- archeo:end -->\n").unwrap();
        assert_eq!(b.len(), 1);
        // Four spaces of indentation: an indented code block, text.
        let b = blocks("Example:\n\n    <!-- archeo:begin --rule x -->\n    <!-- archeo:end -->\n")
            .unwrap();
        assert!(b.is_empty());
        // Up to three spaces: a marker.
        assert_eq!(
            blocks("   <!-- archeo:begin a -->\n<!-- archeo:end -->\n")
                .unwrap()
                .len(),
            1
        );
        // Inside a region, a fenced end marker is quoted code, not the end.
        let t = "<!-- archeo:begin a -->\n  ```go\n  <!-- archeo:end -->\n  <!-- archeo:begin identify /etc -->\n  ```\n<!-- archeo:end -->\n";
        let b = blocks(t).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].args, ["a"]);
        // Lookalikes are errors naming the line, never ends or begins.
        let e = blocks("<!-- archeo:begin a -->\n<!-- archeo:endless -->\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("d.md:2: unknown marker archeo:endless"),
            "{e}"
        );
        let e = blocks("<!-- archeo:beginning -->\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("d.md:1: unknown marker archeo:beginning"),
            "{e}"
        );
        let e = blocks("<!-- archeo:end now -->\n").unwrap_err().to_string();
        assert!(e.starts_with("d.md:1: archeo:end takes nothing"), "{e}");
        // Other comments are text.
        assert!(
            blocks("<!-- a note -->\n<!--archeology -->\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn generated_content_shows_control_characters_and_keeps_line_ends() {
        let body = "| `a\u{1b}[2J` |\tx\r\n\u{9b}\rb\u{7}\n";
        let n = neutralise(body);
        assert_eq!(n, "| `a␛[2J` |\tx\r\n\\u{9b}␍b␇\n");
        assert_eq!(neutralise(&n), n, "idempotent");
        let doc = "<!-- archeo:begin a -->\r\nold\r\n<!-- archeo:end -->\r\n";
        let b = parse_blocks(Path::new("d.md"), doc).unwrap();
        let out = regenerate(doc, &b, |_| Ok("x\u{1b}]0;t\u{7}\n".into())).unwrap();
        assert_eq!(
            out,
            "<!-- archeo:begin a -->\r\nx␛]0;t␇\r\n<!-- archeo:end -->\r\n"
        );
    }

    #[test]
    fn generated_content_never_forms_a_marker() {
        let body = "- a quote:\n\n<!-- archeo:end -->\n   <!-- archeo:begin identify /etc -->\n  ```go\n  <!-- archeo:end -->\n  ```\n";
        let n = neutralise(body);
        assert_eq!(
            n,
            "- a quote:\n\n\\<!-- archeo:end -->\n   \\<!-- archeo:begin identify /etc -->\n  ```go\n  <!-- archeo:end -->\n  ```\n"
        );
        assert_eq!(neutralise(&n), n, "idempotent");
        let doc = "<!-- archeo:begin a -->\nold\n<!-- archeo:end -->\n";
        let b = parse_blocks(Path::new("d.md"), doc).unwrap();
        let out = regenerate(doc, &b, |_| Ok(body.to_string())).unwrap();
        assert_eq!(parse_blocks(Path::new("d.md"), &out).unwrap().len(), 1);
        // A fence left open is closed before the end marker.
        let out = regenerate(doc, &b, |_| Ok("```\n<!-- archeo:end -->\n".into())).unwrap();
        assert_eq!(
            parse_blocks(Path::new("d.md"), &out).unwrap().len(),
            1,
            "{out}"
        );
    }
}
