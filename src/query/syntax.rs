//! Search query syntax: terms (identifier-aware), `"quoted phrases"`, `-term` to exclude, and
//! field filters `repo:NAME path:GLOB|PREFIX sym:NAME lang:go rule:ID` (each negatable with `-`).

/// A query that does not parse: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QueryError {
    /// The query as given.
    pub query: String,
    /// Byte offset of the problem, when it has a place.
    pub offset: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(off) = self.offset else {
            return write!(f, "{}", self.message);
        };
        let col = self.query[..off].chars().count();
        write!(
            f,
            "query syntax error at column {}: {}",
            col + 1,
            self.message
        )?;
        if let Some(h) = &self.hint {
            write!(f, "\n  {}\n  {}^\nhint: {h}", self.query, " ".repeat(col))?;
        }
        Ok(())
    }
}

type Result<T, E = QueryError> = std::result::Result<T, E>;

/// A syntax error at byte `offset` of `q`.
fn error(q: &str, offset: usize, message: String, hint: Option<String>) -> QueryError {
    QueryError {
        query: q.to_string(),
        offset: Some(offset),
        message,
        hint,
    }
}

/// A field filter of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `repo:NAME`.
    Repo(String),
    /// `path:PATTERN` (see [`crate::path_filter`]).
    Path(String),
    /// `sym:NAME`: lines inside this declaration.
    Sym(String),
    /// `lang:NAME`.
    Lang(String),
    /// `rule:ID`: lines inside this rule's findings.
    Rule(String),
}

/// A term or phrase to match on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// As typed.
    pub text: String,
    /// A quoted phrase (adjacent words) rather than a single term.
    pub phrase: bool,
}

/// A parsed search query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Terms every line must match.
    pub terms: Vec<Term>,
    /// Terms no line may match (`-term`).
    pub excluded: Vec<Term>,
    /// Field filters.
    pub filters: Vec<Filter>,
    /// Negated field filters (`-path:vendor/`).
    pub excluded_filters: Vec<Filter>,
}

impl Query {
    /// The values of the (positive) filters `pick` selects, e.g. every `rule:` id.
    pub fn filter_values(&self, pick: impl Fn(&Filter) -> Option<&String>) -> Vec<String> {
        self.filters.iter().filter_map(pick).cloned().collect()
    }
}

const FIELDS: &str = "repo:, path:, sym:, lang:, rule:";

/// The longest query accepted, in bytes: queries come from users and documents.
pub const MAX_QUERY_LEN: usize = 4096;
/// The most words (terms, phrases' words, filters) a query may hold.
pub const MAX_QUERY_WORDS: usize = 64;

/// Refuses a query too large to be a question (before any work is spent on it).
fn check_size(q: &str) -> Result<()> {
    let too = |message: String| QueryError {
        query: String::new(),
        offset: None,
        message,
        hint: None,
    };
    if q.len() > MAX_QUERY_LEN {
        return Err(too(format!(
            "the query is {} bytes long; the limit is {MAX_QUERY_LEN}: search for fewer or shorter terms",
            q.len()
        )));
    }
    let words = q.split_whitespace().count();
    if words > MAX_QUERY_WORDS {
        return Err(too(format!(
            "the query has {words} words; the limit is {MAX_QUERY_WORDS}: search for fewer terms"
        )));
    }
    Ok(())
}

impl Query {
    /// Parses a query; errors name the column and how to fix it.
    pub fn parse(q: &str) -> Result<Query> {
        check_size(q)?;
        let mut out = Query::default();
        let chars: Vec<(usize, char)> = q.char_indices().collect();
        let mut i = 0;
        while i < chars.len() {
            let (pos, c) = chars[i];
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            let negated = c == '-' && i + 1 < chars.len() && !chars[i + 1].1.is_whitespace();
            if negated {
                i += 1;
            }
            let (tpos, tc) = chars[i];
            if tc == '"' {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && chars[j].1 != '"' {
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(error(
                        q,
                        tpos,
                        "unclosed quote".into(),
                        Some("close the phrase with a matching \"".into()),
                    ));
                }
                let text: String = chars[start..j].iter().map(|x| x.1).collect();
                if text.trim().is_empty() {
                    return Err(error(q, tpos, "empty phrase \"\"".into(), None));
                }
                let t = Term { text, phrase: true };
                if negated {
                    out.excluded.push(t)
                } else {
                    out.terms.push(t)
                }
                i = j + 1;
                continue;
            }
            let mut j = i;
            while j < chars.len() && !chars[j].1.is_whitespace() {
                j += 1;
            }
            let word: String = chars[i..j].iter().map(|x| x.1).collect();
            i = j;
            if let Some((field, value)) = word.split_once(':')
                && !field.is_empty()
                && field.chars().all(|c| c.is_ascii_alphabetic())
            {
                let filter = match field {
                    "repo" => Filter::Repo(value.to_string()),
                    "path" => Filter::Path(value.to_string()),
                    "sym" => Filter::Sym(value.to_string()),
                    "lang" => {
                        if crate::lang::Lang::from_name(value).is_none() {
                            let names: Vec<String> = crate::lang::names()
                                .iter()
                                .map(|n| format!("lang:{n}"))
                                .collect();
                            return Err(error(
                                q,
                                tpos,
                                format!(
                                    "lang:{value} is not a language; use one of {}",
                                    names.join(", ")
                                ),
                                None,
                            ));
                        }
                        Filter::Lang(value.to_string())
                    }
                    "rule" => Filter::Rule(value.to_string()),
                    _ => {
                        return Err(error(
                            q,
                            pos,
                            format!("unknown field {field:?}"),
                            Some(format!(
                                "fields are {FIELDS}; to search for the text, quote it: \"{word}\""
                            )),
                        ));
                    }
                };
                if value.is_empty() {
                    return Err(error(
                        q,
                        tpos,
                        format!("{field}: needs a value (e.g. {field}:x)"),
                        None,
                    ));
                }
                if negated {
                    out.excluded_filters.push(filter)
                } else {
                    out.filters.push(filter)
                }
                continue;
            }
            let t = Term {
                text: word,
                phrase: false,
            };
            if negated {
                out.excluded.push(t)
            } else {
                out.terms.push(t)
            }
        }
        if out.terms.is_empty() && out.filters.is_empty() {
            return Err(QueryError {
                query: q.to_string(),
                offset: None,
                message: format!(
                    "the query has nothing to search for: give a term (e.g. openat2), a \"phrase\" or a filter ({FIELDS})"
                ),
                hint: None,
            });
        }
        Ok(out)
    }
}

/// Matches one term against one line: returns the byte ranges it matched, or None.
/// A single word matches a whole identifier or one of its camelCase/snake_case parts,
/// case-insensitively; anything else (several words, punctuation, a phrase) matches as
/// adjacent words or as a case-insensitive substring.
pub fn match_term(term: &Term, line: &str) -> Option<Vec<(usize, usize)>> {
    let words: Vec<crate::index::tokenize::Word> =
        crate::index::tokenize::words(&term.text).collect();
    let single = !term.phrase && words.len() == 1 && words[0].text.len() == term.text.len();
    if single {
        let want = term.text.to_lowercase();
        let mut ranges = Vec::new();
        crate::index::tokenize::tokens(line, |t, s, e| {
            if t == want {
                ranges.push((s, e));
            }
        });
        return if ranges.is_empty() {
            None
        } else {
            Some(ranges)
        };
    }
    let hay = line.to_lowercase();
    let needle = term.text.to_lowercase();
    if hay.len() == line.len() && !needle.is_empty() {
        let r: Vec<(usize, usize)> = hay
            .match_indices(&needle)
            .map(|(i, m)| (i, i + m.len()))
            .collect();
        if !r.is_empty() {
            return Some(r);
        }
    }
    if term.phrase && !words.is_empty() {
        let want: Vec<String> = words.iter().map(|w| w.text.to_lowercase()).collect();
        let lw: Vec<crate::index::tokenize::Word> = crate::index::tokenize::words(line).collect();
        for k in 0..lw.len().saturating_sub(want.len() - 1) {
            if lw[k..k + want.len()]
                .iter()
                .zip(&want)
                .all(|(a, b)| a.text.to_lowercase() == *b)
            {
                return Some(vec![(lw[k].start, lw[k + want.len() - 1].end)]);
            }
        }
    }
    None
}

/// Tokens a file must hold to possibly match `term` (for the index lookup).
pub fn required_tokens(term: &Term) -> Vec<String> {
    crate::index::tokenize::words(&term.text)
        .map(|w| w.text.to_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terms_phrases_exclusions_and_filters() {
        let q = Query::parse(
            "openat2 \"invalid cross\" -test repo:runc -path:vendor/ sym:WriteSysctls",
        )
        .unwrap();
        assert_eq!(q.terms.len(), 2);
        assert!(q.terms[1].phrase);
        assert_eq!(q.excluded[0].text, "test");
        assert_eq!(
            q.filters,
            [
                Filter::Repo("runc".into()),
                Filter::Sym("WriteSysctls".into())
            ]
        );
        assert_eq!(q.excluded_filters, [Filter::Path("vendor/".into())]);
    }

    #[test]
    fn syntax_errors_give_the_column_and_a_hint() {
        let e = Query::parse("openat2 \"unclosed").unwrap_err().to_string();
        assert!(e.contains("column 9") && e.contains("hint"), "{e}");
        let e = Query::parse("colour:red").unwrap_err().to_string();
        assert!(
            e.contains("unknown field \"colour\"") && e.contains("column 1"),
            "{e}"
        );
    }

    #[test]
    fn a_term_matches_identifier_parts_case_insensitively() {
        let t = Term {
            text: "openat2".into(),
            phrase: false,
        };
        for line in [
            "unix.Openat2(",
            "processOpenat2()",
            "SYS_OPENAT2",
            "openat2SyscallInfo{",
        ] {
            assert!(match_term(&t, line).is_some(), "{line}");
        }
        assert!(match_term(&t, "openat22").is_none());
        assert!(match_term(&t, "reopenat2").is_none());
    }
}
