//! Which string literals may be the source of an error message's text, and the words a message
//! must hold for one to be. The index stores only such literals, with their required words, so
//! `archeo explain` reads the few whose every word the message has instead of every literal
//! sharing one word with it.
//!
//! Formats are compiled in Go's syntax (`open sysctl %s file`; `%%` a literal percent): a
//! language's [`Language::error_format`](super::Language::error_format) returns its format as
//! written and in that syntax ([`ErrorFormat::pattern`]).

use super::{ErrorFormat, Lang, StringLit};

/// A string literal that is not an error format explains a segment only when it equals it and
/// is at least this long and holds a space (`OCI runtime create failed`): a single word
/// (`init`) says nothing.
const MIN_PLAIN_LITERAL: usize = 8;
/// A longer literal is not a message.
const MAX_PLAIN_LITERAL: usize = 1024;

/// The format a literal contributes to explain (as written, and in Go's syntax) and how it is
/// used (`fmt.Errorf`, `sentinel errX = errors.New`, `os.PathError Op`, `crun_make_error`,
/// `#[error]`, `literal passed to p.runtimeError`), or None.
pub fn error_source(lang: Lang, lit: &StringLit) -> Option<ErrorFormat> {
    if let Some(f) = lang.language().error_format(lit) {
        return Some(f);
    }
    let v = lit.value.trim();
    if v.len() < MIN_PLAIN_LITERAL
        || v.len() > MAX_PLAIN_LITERAL
        || !v.contains(' ')
        || v.contains('\n')
        || !v.chars().any(char::is_alphabetic)
    {
        return None;
    }
    let kind = match &lit.callee {
        Some(c) => format!("literal passed to {c}"),
        None => "string literal".to_string(),
    };
    Some(ErrorFormat {
        format: v.to_string(),
        pattern: v.replace('%', "%%"),
        kind,
    })
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The distinct words (identifier-like runs, lower-cased) of `format`'s literal text that no
/// verb touches: every one of them stands whole in any text the format matches (`open sysctl
/// %s file` -> open, sysctl, file; in `proc%d` and `0x%x` no word is certain).
pub fn required_words(format: &str) -> Vec<String> {
    // The format with each verb as one NUL, `%%` as `%`.
    let mut skeleton = String::with_capacity(format.len());
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            skeleton.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            skeleton.push('%');
            continue;
        }
        while chars
            .peek()
            .is_some_and(|n| "+-# 0123456789.*[]".contains(*n))
        {
            chars.next();
        }
        chars.next();
        skeleton.push('\0');
    }
    let mut out: Vec<String> = Vec::new();
    let b: Vec<char> = skeleton.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if !is_word_char(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_word_char(b[i]) {
            i += 1;
        }
        let touches = (start > 0 && b[start - 1] == '\0') || b.get(i) == Some(&'\0');
        if !touches {
            let w: String = b[start..i].iter().collect::<String>().to_lowercase();
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

/// The distinct words of a message, lower-cased, as [`required_words`] spells them.
pub fn message_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_next_to_a_verb_are_not_required() {
        assert_eq!(
            required_words("open sysctl %s file: %w"),
            ["open", "sysctl", "file"]
        );
        assert_eq!(required_words("proc%d 0x%x"), Vec::<String>::new());
        assert_eq!(required_words("100%% done"), ["100", "done"]);
        assert_eq!(required_words("Op %s"), ["op"]);
    }

    #[test]
    fn a_message_holds_the_required_words_of_a_format_it_matches() {
        let m = message_words("open sysctl net.ipv4.ip_unprivileged_port_start file: EXDEV");
        for w in required_words("open sysctl %s file") {
            assert!(m.contains(&w), "{w}");
        }
    }

    #[test]
    fn plain_literals_need_several_words() {
        let lit = |v: &str| StringLit {
            line: 1,
            col: 1,
            value: v.into(),
            callee: Some("p.runtimeError".into()),
            field: None,
            var: None,
        };
        assert_eq!(
            error_source(Lang::Go, &lit("OCI runtime create failed")),
            Some(ErrorFormat {
                format: "OCI runtime create failed".into(),
                pattern: "OCI runtime create failed".into(),
                kind: "literal passed to p.runtimeError".into()
            })
        );
        assert_eq!(error_source(Lang::Go, &lit("init")), None);
        let pct = error_source(Lang::Go, &lit("100% sure of it")).unwrap();
        assert_eq!(
            (pct.format.as_str(), pct.pattern.as_str()),
            ("100% sure of it", "100%% sure of it")
        );
    }
}
