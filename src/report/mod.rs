//! The report stage: printers over typed results (ripgrep-like text with color on a TTY, JSON
//! Lines, Markdown), evidence blocks, and regenerating the evidence regions of Markdown
//! documents. Printers never search; searches never format. Every printable result implements
//! [`Report`]; commands hand it to [`print()`].

pub mod compact;
pub mod deps;
pub mod evidence;
pub mod explain;
pub mod export;
pub mod findings;
pub mod history;
pub mod identify;
pub mod json;
pub mod sarif;
pub mod search;
pub mod tables;
pub mod watch;
pub mod xref;

use std::io::Write;

use anyhow::Result;
use termcolor::{Color, ColorSpec, WriteColor};

pub use crate::index::citation::location;

/// Output formats every result-printing command offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// Human-readable text (colored on a TTY).
    #[default]
    Text,
    /// JSON Lines: one object per line.
    Json,
    /// Markdown, for pasting into documents.
    Md,
}

/// A result that can be printed in every format.
pub trait Report {
    /// ripgrep-like text; color when `out` supports it.
    fn text(&self, out: &mut dyn WriteColor) -> Result<()>;
    /// JSON Lines.
    fn json(&self, out: &mut dyn Write) -> Result<()>;
    /// Markdown.
    fn markdown(&self, out: &mut dyn Write) -> Result<()>;
}

/// Prints a report to stdout in `format`; text goes through [`TermSafe`], Markdown through
/// [`to_markdown`].
pub fn print(report: &dyn Report, format: Format, color: termcolor::ColorChoice) -> Result<()> {
    match format {
        Format::Text => {
            let mut out = TermSafe::stdout(color);
            report.text(&mut out)?;
            out.flush()?;
            Ok(())
        }
        Format::Json => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            report.json(&mut out)?;
            out.flush()?;
            Ok(())
        }
        Format::Md => {
            let md = to_markdown(report)?;
            std::io::stdout().lock().write_all(md.as_bytes())?;
            Ok(())
        }
    }
}

/// The report as Markdown (printed, or for evidence blocks), every control character of it but
/// newline and tab shown through [`md_controls`]: whatever a printer wrote without a helper (a
/// repository or file name in a caption, say), no raw control byte leaves archeo.
pub fn to_markdown(report: &dyn Report) -> Result<String> {
    let mut buf = Vec::new();
    report.markdown(&mut buf)?;
    let md = String::from_utf8(buf)?;
    Ok(match md_controls(&md) {
        std::borrow::Cow::Borrowed(_) => md,
        std::borrow::Cow::Owned(safe) => safe,
    })
}

/// Implements [`Report`] for a type with three printer functions.
macro_rules! report {
    ($t:ty, $text:path, $json:path, $md:path) => {
        impl $crate::report::Report for $t {
            fn text(&self, out: &mut dyn termcolor::WriteColor) -> anyhow::Result<()> {
                $text(out, self)
            }
            fn json(&self, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
                $json(out, self)
            }
            fn markdown(&self, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
                $md(out, self)
            }
        }
    };
}
pub(crate) use report;

/// Writes one JSON value as a line.
pub(crate) fn json_line(out: &mut dyn Write, v: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Inline code for a Markdown table cell: pipes escaped, line breaks made spaces, other control
/// characters shown ([`md_controls`]), backticks fenced so the table never breaks. Code spans show HTML as text, so an upstream file named
/// `<img src=x onerror=...>.go` stays text.
pub fn md_code(s: &str) -> String {
    let s = md_controls(&s.trim().replace(['\n', '\r'], " ")).replace('|', "\\|");
    if s.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    if longest == 0 {
        return format!("`{s}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {s} {fence}")
}

/// A location linked to its permalink; a plain `repo@commit:path:line` citation (hosts without
/// permalinks), or anything that is not a plain http(s) URL, is shown as code instead.
pub fn md_link(text: &str, url: &str) -> String {
    let plain = url
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/:%#@+,=!$&;?".contains(&b));
    if plain && (url.starts_with("https://") || url.starts_with("http://")) {
        format!("[{}]({url})", md_text(text))
    } else {
        md_code(url)
    }
}

/// Plain text for Markdown (a table cell, a list item): every character Markdown would read as
/// markup (HTML, links, emphasis, code, tables) is escaped and line breaks become spaces, so text
/// from strangers (paths, tag names, module versions) renders as the text it is; other control
/// characters are shown ([`md_controls`]). An `_` inside a
/// word (`RESOLVE_NO_XDEV`) is no markup and stays as it is.
pub fn md_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let in_word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        match c {
            '_' if in_word(i.checked_sub(1)) && in_word(Some(i + 1)) => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => match md_control(c) {
                Some(shown) => out.push_str(&shown),
                None => out.push(c),
            },
        }
    }
    out
}

/// One character as [`md_controls`] shows it, or `None` for a character that is no control.
/// Both forms read as text in a code span, a fence, a table cell or a link label (a backslash
/// before a letter escapes nothing), and neither holds a byte a terminal or an editor acts on.
/// Newline and tab are controls too: callers keep what they allow.
fn md_control(c: char) -> Option<std::borrow::Cow<'static, str>> {
    use std::borrow::Cow;
    match c {
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32).map(|p| Cow::Owned(p.to_string())),
        '\u{7f}' => Some(Cow::Borrowed("\u{2421}")),
        c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
            Some(Cow::Owned(c.escape_unicode().to_string()))
        }
        _ => None,
    }
}

/// Shows `s`'s control characters, newlines and tabs kept: C0 controls as their Unicode control
/// pictures (ESC as `␛`, BEL as `␇`, `\r` as `␍`), DEL as `␡`, C1 controls and the line and
/// paragraph separators (no pictures exist) as `\u{9b}`, `\u{2028}`. The one form upstream
/// text takes in every Markdown archeo writes (printed with `--format md`, evidence, exported
/// blocks): the helpers ([`md_code`], [`md_text`], [`md_quoted_line`]) apply it to each piece;
/// [`to_markdown`] and export's `neutralise` apply it to the whole output, so a printer that
/// writes a name without a helper cannot let a control byte through either.
pub fn md_controls(s: &str) -> std::borrow::Cow<'_, str> {
    md_controls_but(s, &['\n', '\t'])
}

/// [`md_controls`] keeping only the controls in `keep`.
fn md_controls_but<'a>(s: &'a str, keep: &[char]) -> std::borrow::Cow<'a, str> {
    let shown = |c: char| {
        if keep.contains(&c) {
            None
        } else {
            md_control(c)
        }
    };
    if !s.chars().any(|c| shown(c).is_some()) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match shown(c) {
            Some(p) => out.push_str(&p),
            None => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A line of quoted code for a fenced code block: every control character but tab (a line
/// break a renderer or an editor would act on, an escape a terminal would) is shown as
/// [`md_controls`] shows it (`\r` as `␍`, ESC as `␛`), so a quoted line stays one line inside
/// its fence and can never close it early.
pub fn md_quoted_line(s: &str) -> std::borrow::Cow<'_, str> {
    md_controls_but(s, &['\t'])
}

/// A fenced code block of quoted lines, each indented by `indent`: the fence is longer than any
/// run of backticks in the lines, and each line goes through [`md_quoted_line`], so nothing
/// quoted can end the block or start another line of Markdown.
pub fn md_code_block(
    out: &mut String,
    indent: &str,
    lang: &str,
    lines: &[&str],
) -> std::fmt::Result {
    use std::fmt::Write as _;
    let quoted: Vec<std::borrow::Cow<str>> = lines.iter().map(|l| md_quoted_line(l)).collect();
    let longest = quoted
        .iter()
        .flat_map(|l| l.split(|c| c != '`').map(str::len))
        .max()
        .unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    writeln!(out, "{indent}{fence}{lang}")?;
    for l in &quoted {
        if l.trim().is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "{indent}{l}")?;
        }
    }
    writeln!(out, "{indent}{fence}")
}

/// The one writer of text output for a terminal: every control character written through it
/// but newline and tab (escape sequences that would clear the screen, retitle the window, move
/// the cursor; a carriage return or backspace that would overwrite what was printed; C1
/// controls such as U+009B) comes out escaped as `\u{1b}`, `\r`, whatever the color choice.
/// Colors set through [`WriteColor`] are written by the inner stream and pass. Printers write
/// upstream text (code lines, paths, symbols, messages) through it unchanged, so none of them
/// can forget; they still escape newlines in names themselves ([`term_text`]), where a line
/// break would forge a line of the report.
pub struct TermSafe<W> {
    inner: W,
    /// A UTF-8 lead byte 0xC2 ended the previous write: the next byte may make a C1 control.
    pending_c2: bool,
}

impl TermSafe<termcolor::BufferedStandardStream> {
    /// Standard output, block-buffered (a report is printed once it is whole, so a line at a
    /// time would only cost a system call per line): flush it when done, to hear of a failed
    /// write.
    pub fn stdout(color: termcolor::ColorChoice) -> Self {
        TermSafe::new(termcolor::BufferedStandardStream::stdout(color))
    }
}

impl<W> TermSafe<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        TermSafe {
            inner,
            pending_c2: false,
        }
    }
}

/// The escaped form of a control character, or `None` for a byte written as it is.
fn escaped_control(c: char) -> Option<String> {
    let control =
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}');
    control.then(|| c.escape_default().to_string())
}

/// Are the eight bytes of `w` all printable ASCII (0x20..=0x7e)? A byte below 0x20 borrows
/// when 0x20 is taken from it, a byte from 0x7f up has its top bit set once 1 is added; the
/// borrows and carries between bytes only ever follow such a byte, so the answer is exact.
fn printable_ascii(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOP: u64 = 0x8080_8080_8080_8080;
    let below = w.wrapping_sub(ONES * 0x20) & !w;
    let above = w.wrapping_add(ONES) | w;
    (below | above) & TOP == 0
}

impl<W: Write> TermSafe<W> {
    /// Writes control character `c` escaped (`\u{1b}`, `\r`).
    fn escape(&mut self, c: char) -> std::io::Result<()> {
        write!(self.inner, "{}", c.escape_default())
    }
}

impl<W: Write> Write for TermSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut i = 0;
        if self.pending_c2 {
            self.pending_c2 = false;
            match buf.first() {
                Some(&b) if (0x80..=0x9f).contains(&b) => {
                    self.escape(char::from(b))?;
                    i = 1;
                }
                _ => self.inner.write_all(&[0xc2])?,
            }
        }
        // Runs of bytes that cannot start a control character are written as they are; only
        // an ASCII control, 0xC2 (a C1 control's lead byte) and 0xE2 (U+2028/U+2029's) are
        // looked at.
        let mut run = i;
        while i < buf.len() {
            // Eight printable ASCII bytes at a time (most of any output).
            if let Some(w) = buf.get(i..i + 8)
                && printable_ascii(u64::from_le_bytes(w.try_into().expect("eight bytes")))
            {
                i += 8;
                continue;
            }
            let b = buf[i];
            let ascii_control = (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f;
            if !ascii_control && b != 0xc2 && b != 0xe2 {
                i += 1;
                continue;
            }
            self.inner.write_all(&buf[run..i])?;
            let (escaped, len) = match (b, buf.get(i + 1), buf.get(i + 2)) {
                _ if ascii_control => (Some(char::from(b)), 1),
                (0xc2, None, _) => {
                    self.pending_c2 = true;
                    (None, 1)
                }
                (0xc2, Some(&n), _) if (0x80..=0x9f).contains(&n) => (Some(char::from(n)), 2),
                (0xe2, Some(0x80), Some(0xa8)) => (Some('\u{2028}'), 3),
                (0xe2, Some(0x80), Some(0xa9)) => (Some('\u{2029}'), 3),
                _ => {
                    // An ordinary character's lead byte: part of the next run.
                    run = i;
                    i += 1;
                    continue;
                }
            };
            if let Some(c) = escaped {
                self.escape(c)?;
            }
            i += len;
            run = i;
        }
        self.inner.write_all(&buf[run..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.pending_c2) {
            self.inner.write_all(&[0xc2])?;
        }
        self.inner.flush()
    }
}

impl<W: WriteColor> WriteColor for TermSafe<W> {
    fn supports_color(&self) -> bool {
        self.inner.supports_color()
    }

    fn set_color(&mut self, spec: &ColorSpec) -> std::io::Result<()> {
        self.inner.set_color(spec)
    }

    fn reset(&mut self) -> std::io::Result<()> {
        self.inner.reset()
    }

    fn is_synchronous(&self) -> bool {
        self.inner.is_synchronous()
    }
}

/// A message for a terminal (a status line, a warning, an error on standard error): what
/// [`TermSafe`] does to output, for a whole string. Its own line breaks stay.
pub fn term_lines(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| escaped_control(c).is_some()) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| escaped_control(c).unwrap_or_else(|| c.to_string()))
            .collect(),
    )
}

/// Text from strangers for a terminal: control characters (escape sequences that would move
/// the cursor, retitle the window or hide lines; line breaks that would forge lines of the
/// report) are shown escaped (`\u{1b}`), everything else as it is.
pub fn term_text(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A color spec: foreground, bold or not.
pub(crate) fn spec(fg: Color, bold: bool) -> ColorSpec {
    let mut c = ColorSpec::new();
    c.set_fg(Some(fg)).set_bold(bold);
    c
}

/// Dimmed text (revision ranges, permalinks).
pub(crate) fn dim() -> ColorSpec {
    let mut c = ColorSpec::new();
    c.set_dimmed(true);
    c
}

/// How text printers introduce a cited place: `repo@rev WHERE  ‹symbol›`, then the revisions
/// holding it and its vendored module, dimmed.
pub(crate) fn cite_header(
    out: &mut dyn WriteColor,
    c: &crate::index::citation::Citation,
    place: &str,
    symbol: Option<&str>,
) -> Result<()> {
    out.set_color(&spec(Color::Magenta, true))?;
    write!(out, "{}@{} {}", c.repo, c.rev, term_text(place))?;
    out.reset()?;
    if let Some(s) = symbol {
        write!(out, "  ‹{s}›")?;
    }
    writeln!(out)?;
    out.set_color(&dim())?;
    write!(out, "  {}", c.revs_display)?;
    if let Some(m) = &c.vendored_module {
        write!(out, " · vendored {m}")?;
    }
    out.reset()?;
    writeln!(out)?;
    Ok(())
}

/// Facts as `name = [A, B]; other = [C]`.
pub fn facts_text(facts: &std::collections::BTreeMap<String, Vec<String>>) -> String {
    facts
        .iter()
        .map(|(k, v)| format!("{k} = [{}]", v.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md_code_never_breaks_a_table() {
        assert_eq!(md_code("a | b"), "`a \\| b`");
        assert_eq!(md_code("x := `raw`"), "`` x := `raw` ``");
        assert_eq!(md_code("a\nb"), "`a b`");
    }

    #[test]
    fn eight_bytes_are_printable_ascii_exactly_when_each_one_is() {
        let one = |b: u8| (0x20..=0x7e).contains(&b);
        let mut words: Vec<[u8; 8]> = vec![*b"plain ok", *b"~~~~~~~~", *b"        "];
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut w = *b"abcdefgh";
                w[at] = b;
                words.push(w);
                let mut w = [b'~'; 8];
                w[at] = b;
                words.push(w);
            }
        }
        for w in words {
            assert_eq!(
                printable_ascii(u64::from_le_bytes(w)),
                w.iter().all(|b| one(*b)),
                "{w:?}"
            );
        }
    }

    #[test]
    fn text_from_strangers_is_never_markup() {
        assert_eq!(
            md_text("<img src=x onerror=alert(1)>.go"),
            "\\<img src=x onerror=alert(1)\\>.go"
        );
        assert_eq!(
            md_text("x](javascript:alert(1)).go"),
            "x\\](javascript:alert(1)).go"
        );
        assert_eq!(md_text("__init__.py"), "\\_\\_init\\_\\_.py");
        assert_eq!(md_text("unix.RESOLVE_NO_XDEV"), "unix.RESOLVE_NO_XDEV");
        assert_eq!(
            md_link("a.go:1", "https://x.org/a.go)<b>"),
            "`https://x.org/a.go)<b>`"
        );
    }

    #[test]
    fn quoted_code_stays_inside_its_fence() {
        let mut out = String::new();
        let line = "x\r```\r<img src=x onerror=alert(1)>\u{1b}[2J\u{2028}\tend";
        md_code_block(&mut out, "  ", "go", &[line, "", "``` ````"]).unwrap();
        assert_eq!(
            out,
            "  `````go\n  x␍```␍<img src=x onerror=alert(1)>␛[2J\\u{2028}\tend\n\n  ``` ````\n  `````\n"
        );
        assert!(!out.contains('\r'));
    }

    #[test]
    fn markdown_shows_every_control_character_one_way() {
        let hostile = "a\u{1b}[2J\u{1b}]0;t\u{7}b\u{0}\u{8}\u{7f}\u{9b}1m\u{85}\u{2029}\tc\nd";
        let shown = "a␛[2J␛]0;t␇b␀␈␡\\u{9b}1m\\u{85}\\u{2029}\tc\nd";
        assert_eq!(md_controls(hostile), shown);
        assert!(matches!(
            md_controls("plain\ttext\n"),
            std::borrow::Cow::Borrowed(_)
        ));
        // The same form in a code span, plain text, a link label and a fenced line.
        assert_eq!(md_code("x\u{1b}[2J\u{9b}|y"), "`x␛[2J\\u{9b}\\|y`");
        assert_eq!(md_text("x\u{1b}]0;t\u{7}_\u{85}"), "x␛\\]0;t␇\\_\\u{85}");
        assert_eq!(
            md_link("a\u{1b}[2J.go:1", "https://x.org/a.go"),
            "[a␛\\[2J.go:1](https://x.org/a.go)"
        );
        assert_eq!(md_code("r:a\u{1b}.go:1"), "`r:a␛.go:1`");
        assert_eq!(md_quoted_line("\tx\u{1b}[H\u{9f}"), "\tx␛[H\\u{9f}");
        assert_eq!(md_quoted_line("a\nb"), "a␊b");
        // Shown forms hold no control: a second pass changes nothing.
        assert_eq!(md_controls(shown), shown);
        assert!(
            !shown
                .chars()
                .any(|c| c.is_control() && c != '\t' && c != '\n')
        );
    }

    /// A printer that writes upstream names without a helper: the Markdown still holds none of
    /// their control bytes.
    #[test]
    fn markdown_output_never_carries_a_raw_control() {
        struct Raw(&'static str);
        fn text(_: &mut dyn termcolor::WriteColor, _: &Raw) -> Result<()> {
            Ok(())
        }
        fn json(_: &mut dyn Write, _: &Raw) -> Result<()> {
            Ok(())
        }
        fn markdown(out: &mut dyn Write, r: &Raw) -> Result<()> {
            writeln!(out, "| {} |\t|", r.0)?;
            Ok(())
        }
        report!(Raw, text, json, markdown);
        assert_eq!(
            to_markdown(&Raw("repo\u{1b}]0;t\u{7}\u{9b}\r")).unwrap(),
            "| repo␛]0;t␇\\u{9b}␍ |\t|\n"
        );
    }

    #[test]
    fn terminal_output_escapes_every_control_but_newline_and_tab() {
        let mut t = TermSafe::new(termcolor::Ansi::new(Vec::new()));
        write!(
            t,
            "a\u{1b}[2J\u{1b}]0;title\u{7}b\rc\u{8}\td\u{9b}e\u{2028}\n"
        )
        .unwrap();
        t.set_color(&spec(Color::Red, true)).unwrap();
        // A C1 control split across two writes is still escaped.
        t.write_all(&[b'x', 0xc2]).unwrap();
        t.write_all(&[0x9b, b'y', 0xc3, 0xa9]).unwrap();
        t.reset().unwrap();
        t.flush().unwrap();
        let got = String::from_utf8(t.inner.into_inner()).unwrap();
        assert_eq!(
            got,
            "a\\u{1b}[2J\\u{1b}]0;title\\u{7}b\\rc\\u{8}\td\\u{9b}e\\u{2028}\n\u{1b}[0m\u{1b}[1m\u{1b}[31mx\\u{9b}yé\u{1b}[0m"
        );
        assert_eq!(term_lines("two\nlines\u{1b}[H"), "two\nlines\\u{1b}[H");
    }

    proptest::proptest! {
        /// Whatever the text and however it is cut into writes (at character boundaries, or
        /// inside a C1 control), the terminal sees each character escaped as
        /// [`escaped_control`] says, and every other byte as it was.
        #[test]
        fn terminal_output_escapes_as_each_character_says(
            chars in proptest::collection::vec(proptest::sample::select(vec![
                'a', ' ', '\n', '\t', '\r', '\u{0}', '\u{1b}', '\u{7f}', '\u{80}', '\u{9b}',
                '\u{9f}', '\u{a0}', '\u{c2}', 'é', '\u{2028}', '\u{2029}', '\u{2027}', '€', '😀',
            ]), 0..40),
            cuts in proptest::collection::vec(0usize..200, 0..6),
        ) {
            let text: String = chars.iter().collect();
            let want: String = text
                .chars()
                .map(|c| escaped_control(c).unwrap_or_else(|| c.to_string()))
                .collect();
            let bytes = text.as_bytes();
            let mut at: Vec<usize> = cuts
                .into_iter()
                .map(|c| c % (bytes.len() + 1))
                .filter(|&c| text.is_char_boundary(c) || bytes[c - 1] == 0xc2)
                .collect();
            at.sort_unstable();
            let mut t = TermSafe::new(Vec::new());
            let mut from = 0;
            for c in at.into_iter().chain([bytes.len()]) {
                t.write_all(&bytes[from..c]).unwrap();
                from = c;
            }
            t.flush().unwrap();
            proptest::prop_assert_eq!(String::from_utf8(t.inner).unwrap(), want);
        }
    }
}
