//! Lexing shared by the dependency extractors: byte offset -> line and column, continuation
//! lines joined with a map back to source offsets, shell words (quotes, `$VAR`,
//! `${VAR:-default}`, `$(...)`, heredocs) and variable expansion that remembers which variable,
//! set at which line, a value came from. Must not know about file kinds or edges.

use std::collections::HashMap;

use super::VarUse;

/// Marks a value as a path relative to the repository root (from `$(dirname "$0")` and the
/// like); never leaves this module's callers as text.
pub(crate) const ROOT: char = '\u{0}';

/// Deepest nesting read of `${V:-...}`, quotes inside them, `$(...)` and expansions of
/// expansions: real files nest a few levels, a hostile one thousands (which would overflow
/// the stack). Deeper text is an unknown value, and the rest of that text is not read.
pub(crate) const MAX_NESTING: usize = 32;
/// Longest value a variable holds: versions, images, URLs and paths are far shorter, and
/// doubling assignments (`A=$A$A` on every line) would otherwise grow exponentially. A longer
/// value is unknown.
pub(crate) const MAX_VALUE: usize = 4096;
/// Most variables one value records as what it was expanded from (a chain of thousands of
/// assignments would otherwise copy quadratically many).
pub(crate) const MAX_USES: usize = 8;
/// Most variables one scope holds (a shell file, a Dockerfile stage): later new names are not
/// recorded, so their values are unknown. Real files set a few hundred; a Dockerfile's stages
/// copy their parent's, which must stay cheap.
pub(crate) const MAX_VARS: usize = 4096;
/// Longest value shown for a variable a value was expanded from (longer ones end in `…`): every
/// edge carries these, so a long value repeated on thousands of edges stays small.
pub(crate) const MAX_USE_VALUE: usize = 256;

/// Line starts of a text, for byte offset -> 1-based line and column.
pub(crate) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines { text, starts }
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, off: usize) -> usize {
        match self.starts.binary_search(&off) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn pos(&self, off: usize) -> (u32, u32) {
        let off = off.min(self.text.len());
        let l = self.line_of(off);
        let col = self.text[self.starts[l]..off].chars().count() + 1;
        (l as u32 + 1, col as u32)
    }

    /// The text of a 0-based line without its line ending.
    pub fn text(&self, line0: usize) -> &'a str {
        let s = self.starts[line0];
        let e = self.starts.get(line0 + 1).map_or(self.text.len(), |e| *e);
        self.text[s..e].trim_end_matches(['\n', '\r'])
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of a 0-based line without its line ending, and the offset of the next line.
    pub fn span(&self, line0: usize) -> (usize, usize, usize) {
        let s = self.starts[line0];
        let next = self
            .starts
            .get(line0 + 1)
            .copied()
            .unwrap_or(self.text.len());
        let e = s + self.text[s..next].trim_end_matches(['\n', '\r']).len();
        (s, e, next)
    }
}

/// Text with continuation lines joined; `map[i]` is the source offset of byte `i`.
#[derive(Debug, Default)]
pub(crate) struct Joined {
    pub text: String,
    map: Vec<usize>,
}

impl Joined {
    /// Source offset of a byte of the joined text (its end maps to the end of the source range).
    pub fn src(&self, i: usize) -> usize {
        self.map[i.min(self.map.len() - 1)]
    }

    fn push(&mut self, c: char, at: usize) {
        for k in 0..c.len_utf8() {
            self.map.push(at + k);
        }
        self.text.push(c);
    }
}

/// Joins `text[start..end]` where a line ends in `escape` followed by a newline. In Dockerfile
/// mode blanks may follow the escape, and blank or comment lines inside a continuation are
/// dropped, as BuildKit does; in shell mode only `\` + newline joins.
pub(crate) fn join(text: &str, start: usize, end: usize, escape: char, dockerfile: bool) -> Joined {
    let s = &text[start..end];
    let mut j = Joined::default();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c != escape {
            j.push(c, start + i);
            continue;
        }
        let rest = &s[i + c.len_utf8()..];
        let blanks = if dockerfile {
            rest.len() - rest.trim_start_matches([' ', '\t']).len()
        } else {
            0
        };
        let after = &rest[blanks..];
        let newline = if after.starts_with("\r\n") {
            Some(2)
        } else if after.starts_with('\n') {
            Some(1)
        } else if after.is_empty() && dockerfile {
            Some(0)
        } else {
            None
        };
        let Some(n) = newline else {
            // An escaped character stays as written: the next stage (shell or word lexer)
            // gives it its meaning.
            j.push(c, start + i);
            if let Some((k, d)) = it.next() {
                j.push(d, start + k);
            }
            continue;
        };
        let mut next = i + c.len_utf8() + blanks + n;
        if dockerfile {
            while next < s.len() {
                let le = s[next..].find('\n').map_or(s.len(), |e| next + e + 1);
                let t = s[next..le].trim();
                if t.is_empty() || t.starts_with('#') {
                    next = le;
                } else {
                    break;
                }
            }
        }
        while let Some(&(k, _)) = it.peek() {
            if k < next {
                it.next();
            } else {
                break;
            }
        }
    }
    j.map.push(start + s.len());
    j
}

/// A piece of a shell word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Lit(String),
    Var(VarRef),
    /// `$(...)` or backticks: the inner text; `None` for arithmetic `$((...))`.
    Subst(Option<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarRef {
    pub name: String,
    pub op: VarOp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VarOp {
    Plain,
    /// `${V:-w}`, `${V-w}`, `${V:=w}`, `${V=w}`.
    Default {
        colon: bool,
        assign: bool,
        word: Vec<Part>,
    },
    /// `${V:+w}`, `${V+w}`.
    Alt {
        colon: bool,
        word: Vec<Part>,
    },
    /// Pattern removal, substitution, substrings, lengths: the value is not followed.
    Other,
}

/// A word with its byte range in the lexed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub parts: Vec<Part>,
    pub start: usize,
    pub end: usize,
}

impl Word {
    /// The word's text when it has no expansion.
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => s.push_str(l),
                _ => return None,
            }
        }
        Some(s)
    }

    pub fn is(&self, lit: &str) -> bool {
        self.literal().as_deref() == Some(lit)
    }

    /// The variable reference when the word is exactly one (quoted or not).
    pub fn single_var(&self) -> Option<&VarRef> {
        match self.parts.as_slice() {
            [Part::Var(v)] => Some(v),
            _ => None,
        }
    }

    /// `NAME=value` (an assignment word): the name and the value's parts.
    pub fn assignment(&self) -> Option<(String, Vec<Part>)> {
        let Some(Part::Lit(first)) = self.parts.first() else {
            return None;
        };
        let eq = first.find('=')?;
        let name = &first[..eq];
        if !is_name(name) {
            return None;
        }
        let mut value = Vec::new();
        if eq + 1 < first.len() {
            value.push(Part::Lit(first[eq + 1..].to_string()));
        }
        value.extend(self.parts[1..].iter().cloned());
        Some((name.to_string(), value))
    }
}

/// A shell variable name.
pub(crate) fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A lexed shell command: its words, without redirections.
#[derive(Debug, Default, Clone)]
pub(crate) struct Command {
    pub words: Vec<Word>,
    /// Heredoc delimiters this command reads (`<<EOF`).
    pub heredocs: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Top,
    Brace,
    DQuote,
}

/// A lexer over shell text (`dockerfile == false`) or over Dockerfile instruction arguments
/// (`dockerfile == true`: only blanks split words, `escape` is the escape character and there
/// is no command substitution).
pub(crate) struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    escape: u8,
    dockerfile: bool,
    /// Nesting of [`Lexer::parts`] calls (bounded by [`MAX_NESTING`]).
    depth: usize,
}

impl<'a> Lexer<'a> {
    pub fn shell(s: &'a str) -> Self {
        Lexer {
            s,
            b: s.as_bytes(),
            i: 0,
            escape: b'\\',
            dockerfile: false,
            depth: 0,
        }
    }

    pub fn dockerfile(s: &'a str, escape: char) -> Self {
        Lexer {
            s,
            b: s.as_bytes(),
            i: 0,
            escape: if escape == '`' { b'`' } else { b'\\' },
            dockerfile: true,
            depth: 0,
        }
    }

    /// Words of Dockerfile arguments, split on blanks.
    pub fn words(mut self) -> Vec<Word> {
        let mut out = Vec::new();
        loop {
            self.skip_blanks();
            if self.i >= self.b.len() {
                return out;
            }
            out.push(self.word());
        }
    }

    /// Shell commands, split on `;`, `&&`, `||`, `|`, `&`, parentheses and newlines;
    /// comments and heredoc bodies skipped, redirections removed.
    pub fn commands(mut self) -> Vec<Command> {
        let mut out = Vec::new();
        let mut cur = Command::default();
        // Heredocs opened on the current line: their bodies start on the next one.
        let mut pending: Vec<(String, bool)> = Vec::new();
        let mut skip_next_word = false;
        loop {
            self.skip_blanks();
            if self.i >= self.b.len() {
                break;
            }
            let c = self.b[self.i];
            match c {
                b'\n' => {
                    self.i += 1;
                    out.push(std::mem::take(&mut cur));
                    for (delim, strip) in pending.drain(..) {
                        self.skip_heredoc(&delim, strip);
                    }
                }
                b'#' => {
                    while self.i < self.b.len() && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'&' if self.b.get(self.i + 1) == Some(&b'>') => {
                    // `&>` and `&>>` redirect both outputs: the next word is their file.
                    self.i += 2;
                    if self.b.get(self.i) == Some(&b'>') {
                        self.i += 1;
                    }
                    skip_next_word = true;
                }
                b';' | b'&' | b'|' | b'(' | b')' => {
                    self.i += 1;
                    if matches!(c, b';' | b'&' | b'|') && self.b.get(self.i) == Some(&c) {
                        self.i += 1;
                    }
                    out.push(std::mem::take(&mut cur));
                }
                b'<' | b'>' => {
                    if self.redirection(&mut cur, &mut pending) {
                        skip_next_word = true;
                    }
                }
                _ => {
                    let w = self.word();
                    if !std::mem::take(&mut skip_next_word) {
                        cur.words.push(w);
                    }
                }
            }
        }
        out.push(cur);
        out.retain(|c| !c.words.is_empty() || !c.heredocs.is_empty());
        out
    }

    /// A redirection operator at the cursor. An fd number written against it (`2>&1`) is not
    /// a word of the command; a heredoc's delimiter is recorded in `cur` and `pending`. True
    /// when the next word is the redirection's target rather than an argument.
    fn redirection(&mut self, cur: &mut Command, pending: &mut Vec<(String, bool)>) -> bool {
        if let Some(w) = cur.words.last()
            && w.end == self.i
            && w.literal()
                .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
        {
            cur.words.pop();
        }
        if self.s[self.i..].starts_with("<<") && !self.s[self.i..].starts_with("<<<") {
            self.i += 2;
            let strip = self.b.get(self.i) == Some(&b'-');
            if strip {
                self.i += 1;
            }
            self.skip_blanks();
            let w = self.word();
            let delim = w.literal().unwrap_or_default();
            if !delim.is_empty() {
                cur.heredocs.push(delim.clone());
                pending.push((delim, strip));
            }
            return false;
        }
        while self.i < self.b.len() && matches!(self.b[self.i], b'<' | b'>' | b'&' | b'|') {
            self.i += 1;
        }
        true
    }

    fn skip_blanks(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\r') {
            self.i += 1;
        }
        if self.dockerfile {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }
    }

    fn skip_heredoc(&mut self, delim: &str, strip_tabs: bool) {
        while self.i < self.b.len() {
            let le = self.s[self.i..]
                .find('\n')
                .map_or(self.b.len(), |e| self.i + e);
            let mut line = self.s[self.i..le].trim_end_matches('\r');
            if strip_tabs {
                line = line.trim_start_matches('\t');
            }
            self.i = (le + 1).min(self.b.len());
            if line == delim {
                return;
            }
        }
    }

    fn word(&mut self) -> Word {
        let start = self.i;
        let mut parts = self.parts(Mode::Top);
        if parts.is_empty() {
            // A lone operator character the caller did not expect: consume it as text.
            let c = self.s[self.i..].chars().next().unwrap_or(' ');
            self.i += c.len_utf8();
            parts.push(Part::Lit(c.to_string()));
        }
        Word {
            parts,
            start,
            end: self.i,
        }
    }

    fn stops(&self, c: u8, mode: Mode) -> bool {
        match mode {
            Mode::Top => {
                c.is_ascii_whitespace()
                    || (!self.dockerfile
                        && matches!(c, b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'))
            }
            Mode::Brace => c == b'}',
            Mode::DQuote => c == b'"',
        }
    }

    /// The parts of a word up to where `mode` stops; nested deeper than [`MAX_NESTING`], an
    /// unknown value that consumes the rest of the text.
    fn parts(&mut self, mode: Mode) -> Vec<Part> {
        if self.depth >= MAX_NESTING {
            self.i = self.b.len();
            return vec![Part::Subst(None)];
        }
        self.depth += 1;
        let out = self.parts_unbounded(mode);
        self.depth -= 1;
        out
    }

    fn parts_unbounded(&mut self, mode: Mode) -> Vec<Part> {
        let mut out: Vec<Part> = Vec::new();
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if self.stops(c, mode) {
                break;
            }
            if c == self.escape {
                let next = self.s[self.i + 1..].chars().next();
                match next {
                    None => {
                        self.i += 1;
                        lit(&mut out, &(c as char).to_string());
                    }
                    Some(n) => {
                        let keeps_escape = mode == Mode::DQuote
                            && !self.dockerfile
                            && !matches!(n, '$' | '`' | '"' | '\\' | '\n');
                        if keeps_escape {
                            lit(&mut out, &(c as char).to_string());
                            self.i += 1;
                        } else {
                            self.i += 1 + n.len_utf8();
                            if n != '\n' {
                                lit(&mut out, &n.to_string());
                            }
                        }
                    }
                }
                continue;
            }
            match c {
                b'\'' if mode != Mode::DQuote => {
                    let end = self.s[self.i + 1..]
                        .find('\'')
                        .map_or(self.b.len(), |e| self.i + 1 + e);
                    lit(&mut out, &self.s[self.i + 1..end]);
                    self.i = (end + 1).min(self.b.len());
                }
                b'"' if mode != Mode::DQuote => {
                    self.i += 1;
                    let inner = self.parts(Mode::DQuote);
                    if self.i < self.b.len() {
                        self.i += 1;
                    }
                    if inner.is_empty() {
                        lit(&mut out, "");
                    }
                    for p in inner {
                        match p {
                            Part::Lit(l) => lit(&mut out, &l),
                            p => out.push(p),
                        }
                    }
                }
                b'$' => self.dollar(&mut out),
                b'`' if !self.dockerfile => {
                    let mut j = self.i + 1;
                    while j < self.b.len() && self.b[j] != b'`' {
                        j += if self.b[j] == b'\\' { 2 } else { 1 };
                    }
                    let end = j.min(self.b.len());
                    out.push(Part::Subst(Some(self.s[self.i + 1..end].to_string())));
                    self.i = (end + 1).min(self.b.len());
                }
                _ => {
                    let ch = self.s[self.i..].chars().next().unwrap_or(' ');
                    self.i += ch.len_utf8();
                    lit(&mut out, &ch.to_string());
                }
            }
        }
        out
    }

    fn dollar(&mut self, out: &mut Vec<Part>) {
        let next = self.b.get(self.i + 1).copied();
        match next {
            Some(b'{') => {
                self.i += 2;
                let length = self.b.get(self.i) == Some(&b'#')
                    && self.b.get(self.i + 1).is_some_and(|b| *b != b'}');
                if length {
                    self.i += 1;
                }
                let name = self.name();
                if self.b.get(self.i) == Some(&b'[') {
                    while self.i < self.b.len() && self.b[self.i] != b']' {
                        self.i += 1;
                    }
                    self.i = (self.i + 1).min(self.b.len());
                }
                let op = self.brace_op();
                out.push(Part::Var(VarRef {
                    name,
                    op: if length { VarOp::Other } else { op },
                }));
            }
            Some(b'(') if !self.dockerfile => {
                if self.b.get(self.i + 2) == Some(&b'(') {
                    let end = self.matching_paren(self.i + 3);
                    let end = self.matching_paren(end);
                    self.i = end;
                    out.push(Part::Subst(None));
                } else {
                    let end = self.matching_paren(self.i + 2);
                    // Unterminated at the end of the text: everything after `$(`.
                    let inner_end = if end > self.i + 2 && self.b[end - 1] == b')' {
                        end - 1
                    } else {
                        end
                    };
                    let inner = self.s[self.i + 2..inner_end].to_string();
                    self.i = end;
                    out.push(Part::Subst(Some(inner)));
                }
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                self.i += 1;
                let name = self.name();
                out.push(Part::Var(VarRef {
                    name,
                    op: VarOp::Plain,
                }));
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(&c) => {
                self.i += 2;
                out.push(Part::Var(VarRef {
                    name: (c as char).to_string(),
                    op: VarOp::Plain,
                }));
            }
            _ => {
                self.i += 1;
                lit(out, "$");
            }
        }
    }

    fn name(&mut self) -> String {
        let start = self.i;
        match self.b.get(self.i) {
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    self.i += 1;
                }
            }
            Some(c) if c.is_ascii_digit() => {
                while self.b.get(self.i).is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
            }
            Some(c) if b"@*#?$!-".contains(c) => self.i += 1,
            _ => {}
        }
        self.s[start..self.i].to_string()
    }

    fn brace_op(&mut self) -> VarOp {
        let c = self.b.get(self.i).copied();
        let (colon, opc) = match c {
            Some(b'}') => {
                self.i += 1;
                return VarOp::Plain;
            }
            Some(b':') => match self.b.get(self.i + 1).copied() {
                Some(o @ (b'-' | b'=' | b'+' | b'?')) => {
                    self.i += 2;
                    (true, o)
                }
                _ => (true, b'#'),
            },
            Some(o @ (b'-' | b'=' | b'+' | b'?')) => {
                self.i += 1;
                (false, o)
            }
            _ => (false, b'#'),
        };
        let word = self.parts(Mode::Brace);
        if self.i < self.b.len() {
            self.i += 1;
        }
        match opc {
            b'-' | b'=' => VarOp::Default {
                colon,
                assign: opc == b'=',
                word,
            },
            b'+' => VarOp::Alt { colon, word },
            b'?' => VarOp::Plain,
            _ => VarOp::Other,
        }
    }

    /// The index just past the `)` closing a `$(` whose content starts at `from`.
    fn matching_paren(&self, from: usize) -> usize {
        self.matching_paren_nested(from, 0)
    }

    /// [`Lexer::matching_paren`] inside `nested` quoted `$(`s: past [`MAX_NESTING`], the end of
    /// the text.
    fn matching_paren_nested(&self, from: usize, nested: usize) -> usize {
        if nested >= MAX_NESTING {
            return self.b.len();
        }
        let mut depth = 1usize;
        let mut j = from;
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 1,
                b'\'' => {
                    j = self.s[j + 1..]
                        .find('\'')
                        .map_or(self.b.len(), |e| j + 1 + e);
                }
                b'"' => {
                    j += 1;
                    while j < self.b.len() && self.b[j] != b'"' {
                        if self.b[j] == b'\\' {
                            j += 1;
                        } else if self.b[j] == b'$' && self.b.get(j + 1) == Some(&b'(') {
                            j = self.matching_paren_nested(j + 2, nested + 1) - 1;
                        }
                        j += 1;
                    }
                }
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return j + 1;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        self.b.len()
    }
}

fn lit(out: &mut Vec<Part>, s: &str) {
    if let Some(Part::Lit(l)) = out.last_mut() {
        l.push_str(s);
    } else {
        out.push(Part::Lit(s.to_string()));
    }
}

/// A variable's value as far as a static reading can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val {
    Known(String),
    /// The content of a file (`$(cat path)`): the path, repository-relative when it starts with
    /// [`ROOT`].
    File(String),
    Unknown,
}

/// A variable as set by the file: its value, the 1-based line that set it, and the variables
/// that value was itself expanded from.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub val: Val,
    pub line: u32,
    pub uses: Vec<VarUse>,
}

/// An expanded word.
#[derive(Debug, Clone)]
pub(crate) struct Expansion {
    pub val: Val,
    pub uses: Vec<VarUse>,
}

impl Expansion {
    /// A value that cannot be known from the file.
    pub fn unknown() -> Expansion {
        Expansion {
            val: Val::Unknown,
            uses: Vec::new(),
        }
    }
}

/// Variables in scope, and where the file being read sits (for `$0`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Env {
    pub vars: HashMap<String, Var>,
    /// Repository path of the file, for `$0` and `$(dirname "$0")`.
    pub file: String,
    /// The line being read: where `${V:=w}` sets `V`.
    pub line: u32,
    /// Nesting of [`Env::expand`] calls (bounded by [`MAX_NESTING`]).
    depth: usize,
}

impl Env {
    pub fn new(file: &str) -> Env {
        Env {
            file: file.to_string(),
            ..Env::default()
        }
    }

    /// Sets `name`; past [`MAX_VARS`] names, a new name is not recorded (its value unknown).
    pub fn set(&mut self, name: &str, e: Expansion, line: u32) {
        if self.vars.len() >= MAX_VARS && !self.vars.contains_key(name) {
            return;
        }
        self.vars.insert(
            name.to_string(),
            Var {
                val: e.val,
                line,
                uses: e.uses,
            },
        );
    }

    fn is_set(&self, name: &str, colon: bool) -> bool {
        match self.vars.get(name) {
            None => false,
            Some(v) => !colon || v.val != Val::Known(String::new()),
        }
    }

    fn lookup(&self, name: &str, uses: &mut Vec<VarUse>) -> Val {
        match self.vars.get(name) {
            Some(v) => {
                let shown = |s: &str| {
                    if s.starts_with(ROOT) {
                        normalize(s).replace(ROOT, "")
                    } else {
                        s.to_string()
                    }
                };
                let value = match &v.val {
                    Val::Known(s) | Val::File(s) => shown(s),
                    Val::Unknown => String::new(),
                };
                push_use(
                    uses,
                    VarUse {
                        name: name.to_string(),
                        line: v.line,
                        value,
                    },
                );
                for u in &v.uses {
                    push_use(uses, u.clone());
                }
                v.val.clone()
            }
            None if name == "0" || name == "BASH_SOURCE" => {
                Val::Known(format!("{ROOT}{}", self.file))
            }
            None => Val::Unknown,
        }
    }

    /// Expands a word's parts; `${V:=w}` assigns `V` as the shell would. Nested deeper than
    /// [`MAX_NESTING`] (`$(cat $(cat ...))`), unknown.
    pub fn expand(&mut self, parts: &[Part]) -> Expansion {
        if self.depth >= MAX_NESTING {
            return Expansion::unknown();
        }
        self.depth += 1;
        let e = self.expand_unbounded(parts);
        self.depth -= 1;
        e
    }

    fn expand_unbounded(&mut self, parts: &[Part]) -> Expansion {
        let mut uses = Vec::new();
        let mut pieces: Vec<Val> = Vec::new();
        for p in parts {
            match p {
                Part::Lit(s) => pieces.push(Val::Known(s.clone())),
                Part::Var(v) => match &v.op {
                    VarOp::Plain => pieces.push(self.lookup(&v.name, &mut uses)),
                    VarOp::Default {
                        colon,
                        assign,
                        word,
                    } => {
                        if self.is_set(&v.name, *colon) {
                            pieces.push(self.lookup(&v.name, &mut uses));
                        } else {
                            let e = self.expand(word);
                            for u in &e.uses {
                                push_use(&mut uses, u.clone());
                            }
                            pieces.push(e.val.clone());
                            if *assign {
                                let line = self.line;
                                self.set(&v.name, e, line);
                            }
                        }
                    }
                    VarOp::Alt { colon, word } => {
                        if self.is_set(&v.name, *colon) {
                            let e = self.expand(word);
                            for u in &e.uses {
                                push_use(&mut uses, u.clone());
                            }
                            pieces.push(e.val);
                        }
                    }
                    VarOp::Other => pieces.push(Val::Unknown),
                },
                Part::Subst(Some(inner)) => {
                    let e = self.substitute(inner);
                    for u in &e.uses {
                        push_use(&mut uses, u.clone());
                    }
                    pieces.push(e.val);
                }
                Part::Subst(None) => pieces.push(Val::Unknown),
            }
        }
        Expansion {
            val: concat(pieces),
            uses,
        }
    }

    /// What a command substitution prints, for the few shapes that pin versions and paths:
    /// `$(cat FILE)`, `$(dirname "$0")`, `$(cd DIR; pwd)`, `$(git rev-parse --show-toplevel)`.
    fn substitute(&mut self, inner: &str) -> Expansion {
        let cmds = Lexer::shell(inner).commands();
        let Some(first) = cmds.first().filter(|c| !c.words.is_empty()) else {
            return Expansion::unknown();
        };
        let args: Vec<&Word> = first.words[1..]
            .iter()
            .filter(|w| w.literal().is_none_or(|l| !l.starts_with('-')))
            .collect();
        let head = first.words[0].literal().unwrap_or_default();
        match (head.as_str(), cmds.len(), args.as_slice()) {
            ("cat", 1, [path]) => self.expand_known(path, |p| Val::File(normalize(p))),
            ("dirname", 1, [path]) => self.expand_known(path, |p| Val::Known(dirname(p))),
            ("cd", _, [dir])
                if cmds.len() >= 2
                    && cmds
                        .last()
                        .is_some_and(|c| c.words.first().is_some_and(|w| w.is("pwd"))) =>
            {
                self.expand_known(dir, |p| Val::Known(normalize(p)))
            }
            ("git", 1, _) if first.words.iter().any(|w| w.is("--show-toplevel")) => Expansion {
                val: Val::Known(ROOT.to_string()),
                uses: Vec::new(),
            },
            _ => Expansion::unknown(),
        }
    }

    /// A word's known value turned into what a command prints from it; unknown when the
    /// word's value is not known.
    fn expand_known(&mut self, word: &Word, prints: impl FnOnce(&str) -> Val) -> Expansion {
        let e = self.expand(&word.parts);
        match e.val {
            Val::Known(p) => Expansion {
                val: prints(&p),
                uses: e.uses,
            },
            _ => Expansion::unknown(),
        }
    }
}

/// Records `u` among what a value was expanded from: once, and at most [`MAX_USES`] of them.
pub(crate) fn push_use(uses: &mut Vec<VarUse>, mut u: VarUse) {
    if uses.len() >= MAX_USES || uses.iter().any(|x| x.name == u.name && x.line == u.line) {
        return;
    }
    if u.value.len() > MAX_USE_VALUE {
        let mut end = MAX_USE_VALUE;
        while !u.value.is_char_boundary(end) {
            end -= 1;
        }
        u.value.truncate(end);
        u.value.push('…');
    }
    uses.push(u);
}

fn concat(pieces: Vec<Val>) -> Val {
    let mut known = String::new();
    let mut file = None;
    for p in pieces {
        match p {
            Val::Unknown => return Val::Unknown,
            Val::Known(s) => {
                known.push_str(&s);
                if known.len() > MAX_VALUE {
                    return Val::Unknown;
                }
            }
            Val::File(f) => {
                if file.replace(f).is_some() {
                    return Val::Unknown;
                }
            }
        }
    }
    match file {
        Some(f) if known.is_empty() && f.len() <= MAX_VALUE => Val::File(f),
        Some(_) => Val::Unknown,
        None if known.len() > MAX_VALUE => Val::Unknown,
        None => Val::Known(known),
    }
}

fn dirname(p: &str) -> String {
    let n = normalize(p);
    match n.rfind('/') {
        Some(i) => n[..i].to_string(),
        None if n.starts_with(ROOT) => ROOT.to_string(),
        None => ".".to_string(),
    }
}

/// Resolves `.` and `..` in a path; a [`ROOT`]-relative path stays so (and cannot climb out).
pub(crate) fn normalize(p: &str) -> String {
    let (root, rest) = match p.strip_prefix(ROOT) {
        Some(r) => (true, r),
        None => (false, p),
    };
    let absolute = rest.starts_with('/') && !root;
    let mut segs: Vec<&str> = Vec::new();
    for s in rest.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                if segs.pop().is_none() && !root && !absolute {
                    segs.push("..");
                }
            }
            s => segs.push(s),
        }
    }
    let body = segs.join("/");
    if root {
        format!("{ROOT}{body}")
    } else if absolute {
        format!("/{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Vec<Part>> {
        Lexer::shell(s)
            .commands()
            .into_iter()
            .flat_map(|c| c.words)
            .map(|w| w.parts)
            .collect()
    }

    #[test]
    fn quotes_and_default_expansions_lex_into_parts() {
        let w = words(r#": "${RUNC_VERSION:=v1.3.3}""#);
        assert_eq!(w.len(), 2);
        let [Part::Var(v)] = w[1].as_slice() else {
            panic!("{w:?}")
        };
        assert_eq!(v.name, "RUNC_VERSION");
        assert_eq!(
            v.op,
            VarOp::Default {
                colon: true,
                assign: true,
                word: vec![Part::Lit("v1.3.3".into())]
            }
        );
    }

    #[test]
    fn comments_redirections_and_heredoc_bodies_are_not_words() {
        let cmds = Lexer::shell(
            "cd \"$d\" > /dev/null 2>&1 # git checkout v9.9.9\ncat <<-EOF > /x\n\tgit checkout v1.0.0\n\tEOF\necho done\n",
        )
        .commands();
        let lits: Vec<Vec<String>> = cmds
            .iter()
            .map(|c| {
                c.words
                    .iter()
                    .map(|w| w.literal().unwrap_or("?".into()))
                    .collect()
            })
            .collect();
        assert_eq!(
            lits,
            vec![vec!["cd", "?"], vec!["cat"], vec!["echo", "done"]]
        );
    }

    #[test]
    fn expansion_follows_variables_and_command_substitutions() {
        let mut env = Env::new("script/setup/install-tool");
        env.line = 3;
        for c in Lexer::shell(
            "dir=\"$(cd -- \"$(dirname -- \"$0\")/..\" > /dev/null 2>&1; pwd -P)\"\nv=$(cat \"${dir}/tool-version\")\n",
        )
        .commands()
        {
            let (name, value) = c.words[0].assignment().unwrap();
            let e = env.expand(&value);
            env.set(&name, e, 3);
        }
        assert_eq!(env.vars["dir"].val, Val::Known(format!("{ROOT}script")));
        assert_eq!(
            env.vars["v"].val,
            Val::File(format!("{ROOT}script/tool-version"))
        );
    }

    #[test]
    fn unterminated_expansions_in_binary_like_text_do_not_panic() {
        for s in [
            "$(caf\u{e9}",
            "${A[1",
            "`x\u{e9}",
            "\"$(a \u{e9}\"",
            "<<\u{e9}",
            "${#",
        ] {
            let _ = Lexer::shell(s).commands();
            let _ = Lexer::dockerfile(s, '\\').words();
        }
    }

    #[test]
    fn joining_maps_back_to_source_offsets() {
        let src = "RUN a \\\n  # note\n\n  b";
        let j = join(src, 4, src.len(), '\\', true);
        assert_eq!(j.text, "a   b");
        assert_eq!(&src[j.src(4)..j.src(4) + 1], "b");
        let sh = join("x \\\ny", 0, 5, '\\', false);
        assert_eq!(sh.text, "x y");
    }

    #[test]
    fn nesting_past_the_bound_is_unknown_not_a_stack_overflow() {
        let deep = |open: &str, close: &str| {
            format!(
                "A={}v1.0.0{}\n",
                open.repeat(100_000),
                close.repeat(100_000)
            )
        };
        for text in [
            deep("${X:-", "}"),
            deep("$(cat ", ")"),
            deep("\"$(echo \"", "\")\""),
        ] {
            let cmds = Lexer::shell(&text).commands();
            let mut env = Env::new("x.sh");
            for c in &cmds {
                for w in &c.words {
                    if let Some((_, parts)) = w.assignment() {
                        assert_eq!(env.expand(&parts).val, Val::Unknown);
                    }
                }
            }
        }
        // Within the bound, still read.
        let ok = format!("A={}v1.0.0{}\n", "${X:-".repeat(8), "}".repeat(8));
        let cmds = Lexer::shell(&ok).commands();
        let (_, parts) = cmds[0].words[0].assignment().unwrap();
        assert_eq!(
            Env::new("x.sh").expand(&parts).val,
            Val::Known("v1.0.0".into())
        );
    }

    #[test]
    fn doubling_and_chained_values_stay_bounded() {
        let mut env = Env::new("x.sh");
        let mut text = String::from("A=v1\n");
        text.push_str(&"A=$A$A\n".repeat(64));
        text.push_str(
            &(0..200)
                .map(|i| format!("B{}=$B{i}$A\n", i + 1))
                .collect::<String>(),
        );
        for (line, c) in Lexer::shell(&text).commands().iter().enumerate() {
            let (name, parts) = c.words[0].assignment().unwrap();
            let e = env.expand(&parts);
            assert!(e.uses.len() <= MAX_USES);
            assert!(e.uses.iter().all(|u| u.value.len() <= MAX_USE_VALUE + 3));
            env.set(&name, e, line as u32 + 1);
        }
        assert_eq!(env.vars["A"].val, Val::Unknown, "2^64 bytes are no version");
        // 2^10 bytes are still a value.
        let mut env = Env::new("x.sh");
        let text = format!("A=v\n{}", "A=$A$A\n".repeat(10));
        for c in Lexer::shell(&text).commands() {
            let (name, parts) = c.words[0].assignment().unwrap();
            let e = env.expand(&parts);
            env.set(&name, e, 1);
        }
        assert_eq!(env.vars["A"].val, Val::Known("v".repeat(1024)));
    }
}
