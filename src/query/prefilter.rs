//! What a file must contain to possibly match a query: the trigram query ([`GramQuery`]) the
//! n-gram index answers before any text is read. Terms and literals need all their trigrams;
//! regexes get Russ Cox's codesearch analysis over their syntax tree (exact strings, prefixes,
//! suffixes and a required trigram query per node, kept small by simplifying). It decides
//! nothing: every candidate is checked line by line by `query::search`.
//!
//! The index folds ASCII letters to lower case, so the analysis folds them too: `(?i)Reopen`
//! and `Reopen` ask for the same trigrams. Text with non-ASCII letters is only narrowed by its
//! ASCII runs when matching ignores case (Unicode case variants differ in bytes).

use std::collections::BTreeSet;

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::index::grams::GramQuery;
use crate::query::syntax::{Expr, Pattern};

/// Exact sets larger than this become prefixes and suffixes.
const MAX_EXACT: usize = 7;
/// Prefix and suffix sets are trimmed to stay at most this large.
const MAX_SET: usize = 20;
/// A class with more (folded) members than this matches "any character".
const MAX_CLASS: usize = 12;

/// The trigram query a whole query expression needs: AND and OR follow the expression, a
/// negated part constrains nothing.
pub fn expr_query(e: &Expr, case_sensitive: bool) -> GramQuery {
    match e {
        Expr::Pattern(p) => pattern_query(p, case_sensitive),
        Expr::Not(_) => GramQuery::All,
        Expr::And(xs) => GramQuery::and(xs.iter().map(|x| expr_query(x, case_sensitive)).collect()),
        Expr::Or(xs) => GramQuery::or(xs.iter().map(|x| expr_query(x, case_sensitive)).collect()),
    }
}

/// The trigram query one pattern needs.
pub fn pattern_query(p: &Pattern, case_sensitive: bool) -> GramQuery {
    match p {
        Pattern::Word(s) | Pattern::Literal(s) => literal_query(s, case_sensitive),
        Pattern::Regex(r) => regex_query(r, case_sensitive),
    }
}

/// Every trigram of the text; when case is ignored, only of its ASCII runs.
fn literal_query(s: &str, case_sensitive: bool) -> GramQuery {
    if case_sensitive || s.is_ascii() {
        return GramQuery::all_of(s.as_bytes());
    }
    GramQuery::and(
        s.split(|c: char| !c.is_ascii())
            .map(|run| GramQuery::all_of(run.as_bytes()))
            .collect(),
    )
}

/// The trigram query a regex needs (All when it cannot be narrowed, or does not parse).
pub fn regex_query(re: &str, case_sensitive: bool) -> GramQuery {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(!case_sensitive)
        .nest_limit(crate::query::syntax::MAX_NESTING)
        .build()
        .parse(re);
    match hir {
        Ok(h) => {
            let mut info = analyze(&h);
            info.simplify(true);
            info.add_exact();
            info.matches
        }
        Err(_) => GramQuery::All,
    }
}

type Set = BTreeSet<Vec<u8>>;

/// What the analysis knows of a regex node.
#[derive(Debug, Clone)]
struct Info {
    /// It can match the empty string.
    empty: bool,
    /// Every string it matches (when few), folded.
    exact: Option<Set>,
    /// Its matches start with one of these.
    prefix: Set,
    /// Its matches end with one of these.
    suffix: Set,
    /// What a file holding a match must hold.
    matches: GramQuery,
}

fn one(s: &[u8]) -> Set {
    BTreeSet::from([s.to_vec()])
}

impl Info {
    fn exact(set: Set) -> Info {
        Info {
            empty: set.contains(&Vec::new()),
            exact: Some(set),
            prefix: Set::new(),
            suffix: Set::new(),
            matches: GramQuery::All,
        }
    }

    fn any_char() -> Info {
        Info {
            empty: false,
            exact: None,
            prefix: one(b""),
            suffix: one(b""),
            matches: GramQuery::All,
        }
    }

    fn any_match() -> Info {
        Info {
            empty: true,
            exact: None,
            prefix: one(b""),
            suffix: one(b""),
            matches: GramQuery::All,
        }
    }

    fn prefixes(&self) -> &Set {
        self.exact.as_ref().unwrap_or(&self.prefix)
    }

    fn suffixes(&self) -> &Set {
        self.exact.as_ref().unwrap_or(&self.suffix)
    }

    /// Adds the trigrams of the exact set to the query (OR over strings, AND within one).
    fn add_exact(&mut self) {
        if let Some(e) = &self.exact {
            self.matches = GramQuery::and(vec![self.matches.clone(), or_of(e)]);
        }
    }

    /// Keeps sets small: big or long exact sets become prefixes and suffixes, big prefix and
    /// suffix sets are added to the query and cut down.
    fn simplify(&mut self, force: bool) {
        if let Some(e) = &self.exact {
            let min = e.iter().map(Vec::len).min().unwrap_or(0);
            if e.len() > MAX_EXACT || (min >= 3 && force) || min >= 8 {
                self.add_exact();
                let e = self.exact.take().expect("exact");
                for s in e {
                    if s.len() < 3 {
                        self.prefix.insert(s.clone());
                        self.suffix.insert(s);
                    } else {
                        self.prefix.insert(s[..2].to_vec());
                        self.suffix.insert(s[s.len() - 2..].to_vec());
                    }
                }
            }
        }
        if self.exact.is_none() {
            let p = std::mem::take(&mut self.prefix);
            self.prefix = self.simplify_set(p, false);
            let s = std::mem::take(&mut self.suffix);
            self.suffix = self.simplify_set(s, true);
        }
    }

    fn simplify_set(&mut self, set: Set, suffix: bool) -> Set {
        self.matches = GramQuery::and(vec![self.matches.clone(), or_of(&set)]);
        let mut t = set;
        let mut n = 3;
        while n == 3 || t.len() > MAX_SET {
            t = t
                .into_iter()
                .map(|s| {
                    if s.len() >= n {
                        if suffix {
                            s[s.len() - (n - 1)..].to_vec()
                        } else {
                            s[..n - 1].to_vec()
                        }
                    } else {
                        s
                    }
                })
                .collect();
            if n == 1 {
                break;
            }
            n -= 1;
        }
        t
    }
}

/// OR over the strings of a set of the AND of each string's trigrams; All when a string is
/// shorter than three bytes (it needs nothing).
fn or_of(set: &Set) -> GramQuery {
    if set.is_empty() || set.iter().any(|s| s.len() < 3) {
        return GramQuery::All;
    }
    GramQuery::or(set.iter().map(|s| GramQuery::all_of(s)).collect())
}

fn cross(a: &Set, b: &Set) -> Set {
    let mut out = Set::new();
    for x in a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            out.insert(s);
        }
    }
    out
}

fn fold(b: &[u8]) -> Vec<u8> {
    b.to_ascii_lowercase()
}

/// The members of a class as folded byte strings, or None when there are too many.
fn class_members(c: &Class) -> Option<Set> {
    let mut out = Set::new();
    match c {
        Class::Unicode(u) => {
            for r in u.ranges() {
                let n = (r.end() as u32 - r.start() as u32) as usize + 1;
                if n > 4 * MAX_CLASS {
                    return None;
                }
                for cp in r.start() as u32..=r.end() as u32 {
                    if let Some(ch) = char::from_u32(cp) {
                        let mut buf = [0u8; 4];
                        out.insert(fold(ch.encode_utf8(&mut buf).as_bytes()));
                    }
                }
                if out.len() > MAX_CLASS {
                    return None;
                }
            }
        }
        Class::Bytes(b) => {
            for r in b.ranges() {
                for x in r.start()..=r.end() {
                    out.insert(vec![x.to_ascii_lowercase()]);
                }
                if out.len() > MAX_CLASS {
                    return None;
                }
            }
        }
    }
    Some(out)
}

fn analyze(h: &Hir) -> Info {
    let mut info = match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Info::exact(one(b"")),
        HirKind::Literal(l) => Info::exact(one(&fold(&l.0))),
        HirKind::Class(c) => match class_members(c) {
            Some(set) if !set.is_empty() => Info::exact(set),
            _ => Info::any_char(),
        },
        HirKind::Capture(c) => analyze(&c.sub),
        HirKind::Repetition(r) => {
            let sub = analyze(&r.sub);
            if r.min == 0 {
                match (r.max, &sub.exact) {
                    (Some(1), Some(e)) => {
                        let mut e = e.clone();
                        e.insert(Vec::new());
                        Info::exact(e)
                    }
                    _ => Info::any_match(),
                }
            } else {
                // x{n,} and x+ hold at least one x: its requirements, its ends.
                let mut i = sub.clone();
                if i.exact.is_some() && r.max != Some(1) {
                    i.prefix = i.prefixes().clone();
                    i.suffix = i.suffixes().clone();
                    i.add_exact();
                    i.exact = None;
                }
                i
            }
        }
        HirKind::Concat(parts) => {
            let mut acc = Info::exact(one(b""));
            for p in parts {
                acc = concat(acc, analyze(p));
            }
            acc
        }
        HirKind::Alternation(parts) => {
            let mut it = parts.iter();
            let first = it
                .next()
                .map(analyze)
                .unwrap_or_else(|| Info::exact(one(b"")));
            it.fold(first, |acc, p| alternate(acc, analyze(p)))
        }
    };
    info.simplify(false);
    info
}

fn concat(x: Info, y: Info) -> Info {
    let mut out = Info {
        empty: x.empty && y.empty,
        exact: None,
        prefix: Set::new(),
        suffix: Set::new(),
        matches: GramQuery::and(vec![x.matches.clone(), y.matches.clone()]),
    };
    if let (Some(a), Some(b)) = (&x.exact, &y.exact)
        && a.len() * b.len() <= 16 * MAX_EXACT
    {
        out.exact = Some(cross(a, b));
        return out;
    }
    // Where x and y meet, x's suffix runs into y's prefix.
    let meet = cross(x.suffixes(), y.prefixes());
    out.matches = GramQuery::and(vec![out.matches, or_of(&meet)]);
    out.prefix = match &x.exact {
        Some(e) => cross(e, y.prefixes()),
        None if x.empty => x.prefix.union(y.prefixes()).cloned().collect(),
        None => x.prefix.clone(),
    };
    out.suffix = match &y.exact {
        Some(e) => cross(x.suffixes(), e),
        None if y.empty => y.suffix.union(x.suffixes()).cloned().collect(),
        None => y.suffix.clone(),
    };
    out
}

fn alternate(mut x: Info, mut y: Info) -> Info {
    if let (Some(a), Some(b)) = (&x.exact, &y.exact) {
        let mut u = a.clone();
        u.extend(b.iter().cloned());
        return Info::exact(u);
    }
    x.add_exact();
    y.add_exact();
    Info {
        empty: x.empty || y.empty,
        exact: None,
        prefix: x.prefixes().union(y.prefixes()).cloned().collect(),
        suffix: x.suffixes().union(y.suffixes()).cloned().collect(),
        matches: GramQuery::or(vec![x.matches, y.matches]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::grams::key;

    fn g(s: &str) -> GramQuery {
        let b = s.as_bytes();
        GramQuery::Gram(key(b[0], b[1], b[2]))
    }

    #[test]
    fn a_literal_regex_needs_all_its_trigrams() {
        assert_eq!(regex_query("Reopen", true), GramQuery::all_of(b"reopen"));
        assert_eq!(
            regex_query("(?i)REOPEN", false),
            GramQuery::all_of(b"reopen")
        );
    }

    #[test]
    fn inner_literals_are_required_around_classes_and_repetitions() {
        let q = regex_query(r"\w+Reopen\(\d+\)", false);
        let GramQuery::And(parts) = &q else {
            panic!("{q:?}")
        };
        for t in ["reo", "eop", "ope", "pen", "en("] {
            assert!(parts.contains(&g(t)), "{t} in {q:?}");
        }
    }

    #[test]
    fn alternations_become_or() {
        let q = regex_query("openat2|Reopen", false);
        assert_eq!(
            q,
            GramQuery::or(vec![
                GramQuery::all_of(b"openat2"),
                GramQuery::all_of(b"reopen")
            ])
        );
    }

    #[test]
    fn what_cannot_be_narrowed_asks_nothing() {
        assert_eq!(regex_query(r"\w+", false), GramQuery::All);
        assert_eq!(regex_query("ab|.*", false), GramQuery::All);
        assert_eq!(regex_query("x?y?z?", false), GramQuery::All);
        assert_eq!(literal_query("ab", false), GramQuery::All);
    }

    #[test]
    fn small_classes_expand() {
        let q = regex_query("open[a-c]t", true);
        let want = GramQuery::or(
            ["openat", "openbt", "openct"]
                .iter()
                .map(|s| GramQuery::all_of(s.as_bytes()))
                .collect(),
        );
        assert_eq!(q, want);
    }

    #[test]
    fn non_ascii_literals_are_narrowed_by_their_ascii_runs_when_case_is_ignored() {
        assert_eq!(
            literal_query("Größe_total", false),
            GramQuery::all_of(b"e_total")
        );
        assert_eq!(
            literal_query("Größe", true),
            GramQuery::all_of("Größe".as_bytes())
        );
    }
}
