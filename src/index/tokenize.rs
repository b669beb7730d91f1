//! Code-aware tokens: identifiers are kept whole and also split at camelCase and snake_case
//! boundaries, all case-folded (`processOpenat2` -> `processopenat2`, `process`, `openat2`).
//! The index and the query side use this one definition, so what is indexed is what matches.

/// A word of a line: a maximal run of identifier characters, with its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    /// The word.
    pub text: &'a str,
    /// Its start byte.
    pub start: usize,
    /// Its end byte.
    pub end: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The words of `text` (identifier-like runs), in order.
pub fn words(text: &str) -> impl Iterator<Item = Word<'_>> {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = loop {
            let (i, c) = chars.next()?;
            if is_word_char(c) {
                break (i, c);
            }
        };
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if !is_word_char(c) {
                end = i;
                break;
            }
            chars.next();
        }
        Some(Word {
            text: &text[start..end],
            start,
            end,
        })
    })
}

/// The parts of one word at `_` and case boundaries, with byte offsets within the word.
/// `HTTPServer` -> HTTP, Server; `openat2SyscallInfo` -> openat2, Syscall, Info.
/// Digits stay with what precedes them (`openat2`, `O_PATH` -> O, PATH).
pub fn parts(word: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let b: Vec<(usize, char)> = word.char_indices().collect();
    let mut start: Option<usize> = None;
    for k in 0..b.len() {
        let (i, c) = b[k];
        if c == '_' {
            if let Some(s) = start.take() {
                out.push((s, &word[s..i]));
            }
            continue;
        }
        match start {
            None => start = Some(i),
            Some(s) => {
                let prev = b[k - 1].1;
                let next = b.get(k + 1).map(|x| x.1);
                let boundary = (c.is_uppercase() && (prev.is_lowercase() || prev.is_ascii_digit()))
                    || (c.is_uppercase()
                        && prev.is_uppercase()
                        && next.is_some_and(|n| n.is_lowercase()));
                if boundary {
                    out.push((s, &word[s..i]));
                    start = Some(i);
                }
            }
        }
    }
    if let Some(s) = start {
        out.push((s, &word[s..]));
    }
    out
}

/// Every token of `text`: for each word, the whole word and, when it splits, its parts; all
/// lower-cased. Offsets are byte ranges in `text`.
pub fn tokens(text: &str, mut emit: impl FnMut(&str, usize, usize)) {
    let mut buf = String::new();
    for w in words(text) {
        buf.clear();
        buf.extend(w.text.chars().flat_map(char::to_lowercase));
        emit(&buf, w.start, w.end);
        let ps = parts(w.text);
        if ps.len() > 1 {
            for (off, p) in ps {
                buf.clear();
                buf.extend(p.chars().flat_map(char::to_lowercase));
                emit(&buf, w.start + off, w.start + off + p.len());
            }
        }
    }
}

/// The distinct tokens of `text`, lower-cased.
pub fn token_set(text: &str) -> Vec<String> {
    let mut v = Vec::new();
    tokens(text, |t, _, _| v.push(t.to_string()));
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        tokens(s, |t, _, _| v.push(t.to_string()));
        v
    }

    #[test]
    fn identifiers_split_at_camel_and_snake_case_and_stay_whole() {
        assert_eq!(
            all("processOpenat2"),
            ["processopenat2", "process", "openat2"]
        );
        assert_eq!(all("SYS_OPENAT2"), ["sys_openat2", "sys", "openat2"]);
        assert_eq!(
            all("openat2SyscallInfo"),
            ["openat2syscallinfo", "openat2", "syscall", "info"]
        );
        assert_eq!(all("unix.Openat2("), ["unix", "openat2"]);
        assert_eq!(all("HTTPServer"), ["httpserver", "http", "server"]);
        assert_eq!(all("O_PATH"), ["o_path", "o", "path"]);
    }

    #[test]
    fn offsets_point_into_the_text() {
        let s = "x := unix.RESOLVE_NO_XDEV";
        let mut seen = Vec::new();
        tokens(s, |t, a, b| seen.push((t.to_string(), &s[a..b])));
        assert!(seen.contains(&("xdev".to_string(), "XDEV")));
        assert!(seen.contains(&("resolve_no_xdev".to_string(), "RESOLVE_NO_XDEV")));
    }
}
