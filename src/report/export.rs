//! `archeo export`: regenerates the regions between `<!-- archeo:begin ARGS -->` and
//! `<!-- archeo:end -->` in Markdown files. Every byte outside those regions is kept; line
//! endings follow the begin marker's (CRLF files stay CRLF); files are replaced atomically.

use std::path::Path;

use anyhow::{Result, bail};

const BEGIN: &str = "<!-- archeo:begin";
const END: &str = "<!-- archeo:end -->";

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

/// Finds the blocks of a document; unbalanced or nested markers and bad ARGS are errors naming
/// FILE:LINE.
pub fn parse_blocks(path: &Path, text: &str) -> Result<Vec<Block>> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, Vec<String>, usize, &'static str)> = None;
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let line_start = offset;
        offset += raw.len();
        let eol = if raw.ends_with("\r\n") { "\r\n" } else { "\n" };
        let line = raw.trim_end_matches(['\n', '\r']).trim();
        if let Some(rest) = line.strip_prefix(BEGIN) {
            let Some(args) = rest.strip_suffix("-->") else {
                bail!(
                    "{}:{n}: archeo:begin marker is not closed with -->",
                    path.display()
                );
            };
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
        } else if line == END || line.starts_with("<!-- archeo:end") {
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
    if let Some((l, ..)) = open {
        bail!(
            "{}:{l}: archeo:begin has no matching <!-- archeo:end -->",
            path.display()
        );
    }
    Ok(blocks)
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
}
