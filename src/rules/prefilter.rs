//! Per-pattern prefilters of a rule's query, read from each pattern's own text predicates: a
//! pattern with `(#eq? @c "append")` cannot match a file that does not hold `append`, and one
//! with `(#match? @c RE)` none where RE (its `^`, `$`, `\b` dropped) finds nothing. A file that
//! names `Syscall` but holds no trap list then skips that pattern's query, where the rule-level
//! `; requires:` literals let the whole query run.
//!
//! Only what is sound is used: `#eq?` and `#match?` hold for every node of their capture, but a
//! capture with no node in a match (under a `?` or `*` quantifier, in one branch of an
//! alternation) satisfies them vacuously, so a pattern with a quantifier uses none of its
//! predicates and a capture inside an alternation none of its own. A predicate that cannot be
//! read leaves its pattern unfiltered. A capture of an identifier token (`(identifier) @name`,
//! `(field_identifier) @f`) holds no space or `(),.;=[]{}`, so its expression's `.` need not
//! cross them in the file either: `(?i)trap.*syscall` then passes `var trapSyscalls`, not
//! `SIGTRAP = syscall.Signal(0x5)`.

use regex::bytes::Regex;
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, ClassUnicode, Hir, HirKind};

/// What a file's text must hold for a pattern to match it.
enum Need {
    /// This literal (the text an `#eq?` capture must equal).
    Literal(String),
    /// A match of this expression (an `#match?` expression without its assertions).
    Regex(Regex),
}

/// The needs of every pattern of one query.
pub(crate) struct Prefilter {
    /// Distinct needs of the query (patterns often repeat the same predicate).
    needs: Vec<Need>,
    /// Per pattern, the needs (indices into `needs`) that must all hold.
    gates: Vec<Vec<usize>>,
}

/// Which patterns of a query may match a file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Live {
    /// Every pattern: run the whole query.
    All,
    /// These (pattern indices, ascending; possibly none).
    Some(Vec<usize>),
}

impl Prefilter {
    /// Reads the predicates of each pattern of a query: `patterns` are the patterns' texts, in
    /// pattern order.
    pub(crate) fn new<'a>(patterns: impl Iterator<Item = &'a str>) -> Prefilter {
        let mut p = Prefilter {
            needs: Vec::new(),
            gates: Vec::new(),
        };
        let mut keys: Vec<Spec> = Vec::new();
        for text in patterns {
            let mut gate = Vec::new();
            for key in needs_of(text) {
                let i = match keys.iter().position(|k| *k == key) {
                    Some(i) => i,
                    None => {
                        let need = match &key {
                            Spec::Regex(expr, word) => match relaxed(expr, *word) {
                                Some(r) => Need::Regex(r),
                                None => continue,
                            },
                            Spec::Literal(l) => Need::Literal(l.clone()),
                        };
                        keys.push(key);
                        p.needs.push(need);
                        p.needs.len() - 1
                    }
                };
                if !gate.contains(&i) {
                    gate.push(i);
                }
            }
            p.gates.push(gate);
        }
        p
    }

    /// Whether any pattern has a need (else [`Prefilter::live`] always answers `All`).
    pub(crate) fn filters(&self) -> bool {
        self.gates.iter().any(|g| !g.is_empty())
    }

    /// The patterns whose needs `src` meets.
    pub(crate) fn live(&self, src: &[u8]) -> Live {
        if !self.filters() {
            return Live::All;
        }
        let mut known: Vec<Option<bool>> = vec![None; self.needs.len()];
        let mut holds = |i: usize| {
            *known[i].get_or_insert_with(|| match &self.needs[i] {
                Need::Literal(l) => memchr::memmem::find(src, l.as_bytes()).is_some(),
                Need::Regex(r) => r.is_match(src),
            })
        };
        let live: Vec<usize> = (0..self.gates.len())
            .filter(|&p| self.gates[p].iter().all(|&i| holds(i)))
            .collect();
        if live.len() == self.gates.len() {
            Live::All
        } else {
            Live::Some(live)
        }
    }
}

/// A need as read from a predicate.
#[derive(PartialEq, Eq)]
enum Spec {
    /// `#eq?`: the literal.
    Literal(String),
    /// `#match?`: the expression, and whether its capture is an identifier token.
    Regex(String, bool),
}

/// The usable predicates of one pattern's text.
fn needs_of(text: &str) -> Vec<Spec> {
    let scan = scan(text);
    if scan.quantified {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (name, args) in &scan.predicates {
        let [Arg::Capture(c), Arg::Str(s)] = &args[..] else {
            continue;
        };
        if !scan.always.contains(c) || scan.sometimes.contains(c) || s.is_empty() {
            continue;
        }
        match name.as_str() {
            "eq?" => out.push(Spec::Literal(s.clone())),
            "match?" => out.push(Spec::Regex(
                s.clone(),
                scan.word.contains(c) && !scan.not_word.contains(c),
            )),
            _ => {}
        }
    }
    out
}

/// A predicate argument.
enum Arg {
    Capture(String),
    Str(String),
    Word,
}

/// What the structure of a pattern says about its captures.
#[derive(Default)]
struct Scan {
    /// A `?` or `*` quantifier stands somewhere in it.
    quantified: bool,
    /// Captures named outside any alternation.
    always: Vec<String>,
    /// Captures named inside an alternation.
    sometimes: Vec<String>,
    /// Captures placed on a leaf node whose kind ends in `identifier`, and on anything else.
    word: Vec<String>,
    not_word: Vec<String>,
    /// Predicates: name without `#` (`eq?`) and arguments.
    predicates: Vec<(String, Vec<Arg>)>,
}

/// The characters of a tree-sitter query identifier (node, field, capture, predicate names).
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '?' | '!')
}

/// Reads a pattern's text the way tree-sitter's query parser does, as far as captures,
/// quantifiers, alternations and predicates go. Anything unexpected marks it quantified (no
/// prefilter).
fn scan(text: &str) -> Scan {
    let mut s = Scan::default();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut alternation = 0usize;
    // A string literal starting at `chars[i] == '"'`: its value and the index after it.
    let string = |mut i: usize| -> Option<(String, usize)> {
        let mut v = String::new();
        i += 1;
        while i < chars.len() {
            match chars[i] {
                '"' => return Some((v, i + 1)),
                '\\' => {
                    let c = *chars.get(i + 1)?;
                    v.push(match c {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        '0' => '\0',
                        c => c,
                    });
                    i += 2;
                }
                c => {
                    v.push(c);
                    i += 1;
                }
            }
        }
        None
    };
    let name = |mut i: usize| -> (String, usize) {
        let start = i;
        while i < chars.len() && is_name_char(chars[i]) {
            i += 1;
        }
        (chars[start..i].iter().collect(), i)
    };
    while i < chars.len() {
        match chars[i] {
            ';' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' => match string(i) {
                Some((_, next)) => i = next,
                None => {
                    s.quantified = true;
                    return s;
                }
            },
            '(' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if chars.get(j) != Some(&'#') {
                    i += 1;
                    continue;
                }
                let (pred, mut j) = name(j + 1);
                let mut args = Vec::new();
                loop {
                    while j < chars.len() && chars[j].is_whitespace() {
                        j += 1;
                    }
                    match chars.get(j) {
                        Some(')') => break,
                        Some('@') => {
                            let (c, next) = name(j + 1);
                            args.push(Arg::Capture(c));
                            j = next;
                        }
                        Some('"') => match string(j) {
                            Some((v, next)) => {
                                args.push(Arg::Str(v));
                                j = next;
                            }
                            None => {
                                s.quantified = true;
                                return s;
                            }
                        },
                        Some(c) if is_name_char(*c) => {
                            args.push(Arg::Word);
                            j = name(j).1;
                        }
                        _ => {
                            s.quantified = true;
                            return s;
                        }
                    }
                }
                s.predicates.push((pred, args));
                i = j + 1;
            }
            '[' => {
                alternation += 1;
                i += 1;
            }
            ']' => {
                alternation = alternation.saturating_sub(1);
                i += 1;
            }
            '@' => {
                let (c, next) = name(i + 1);
                // (tree-sitter's names may hold `?`: such a capture is not told from a
                // quantifier here, so it counts as one.)
                s.quantified |= c.contains('?');
                if on_identifier(&chars[..i]) {
                    s.word.push(c.clone());
                } else {
                    s.not_word.push(c.clone());
                }
                if alternation > 0 {
                    s.sometimes.push(c);
                } else {
                    s.always.push(c);
                }
                i = next;
            }
            // Anywhere else (after a node, a string, `_`, an alternation, or in a node's name):
            // taken for a quantifier.
            '?' | '*' => {
                s.quantified = true;
                i += 1;
            }
            _ => i += 1,
        }
    }
    s
}

/// Whether a capture written after `before` stands on a leaf node whose kind ends in
/// `identifier`: `(identifier) @name`, `(field_identifier) @a @b`.
fn on_identifier(before: &[char]) -> bool {
    let mut end = before.len();
    loop {
        while end > 0 && before[end - 1].is_whitespace() {
            end -= 1;
        }
        // Another capture of the same node: `(identifier) @a @b`.
        let mut start = end;
        while start > 0 && is_name_char(before[start - 1]) {
            start -= 1;
        }
        if start > 0 && start < end && before[start - 1] == '@' {
            end = start - 1;
            continue;
        }
        break;
    }
    if end == 0 || before[end - 1] != ')' {
        return false;
    }
    let Some(open) = before[..end - 1].iter().rposition(|c| *c == '(') else {
        return false;
    };
    let kind: String = before[open + 1..end - 1].iter().collect();
    let kind = kind.trim();
    kind.ends_with("identifier") && kind.chars().all(is_name_char)
}

/// What an identifier token never holds: tree-sitter's identifier tokens (Go, C, Rust) are
/// letters, digits, `_` (C `$`, Rust `r#`).
const NOT_IN_IDENTIFIERS: &str = r"[\s(),.;=\[\]{}]";

/// `expr` with its assertions (`^`, `$`, `\b`, ...) made empty: whatever a capture's text
/// matches, the file's text then matches too. None when it does not compile, or matches the
/// empty string (it would filter nothing).
/// With `word` (the capture is an identifier token), its classes (`.` too) lose what no
/// identifier holds.
fn relaxed(expr: &str, word: bool) -> Option<Regex> {
    let hir = regex_syntax::Parser::new().parse(expr).ok()?;
    let not_in_words = if word {
        match regex_syntax::Parser::new()
            .parse(NOT_IN_IDENTIFIERS)
            .ok()?
            .into_kind()
        {
            HirKind::Class(Class::Unicode(c)) => Some(c),
            _ => return None,
        }
    } else {
        None
    };
    let hir = without_assertions(hir, not_in_words.as_ref());
    if hir.properties().minimum_len().is_none_or(|n| n == 0) {
        return None;
    }
    Regex::new(&hir.to_string()).ok()
}

/// `h` with its assertions made empty and, given `outside`, its classes without those
/// characters.
fn without_assertions(h: Hir, outside: Option<&ClassUnicode>) -> Hir {
    let sub = |h: Hir| without_assertions(h, outside);
    match h.into_kind() {
        HirKind::Look(_) | HirKind::Empty => Hir::empty(),
        HirKind::Literal(l) => Hir::literal(l.0),
        HirKind::Class(Class::Unicode(mut c)) => {
            if let Some(o) = outside {
                c.difference(o);
            }
            Hir::class(Class::Unicode(c))
        }
        HirKind::Class(Class::Bytes(mut c)) => {
            if let Some(o) = outside {
                // Only ASCII of `outside` can be said of bytes.
                let ascii = o
                    .iter()
                    .filter(|r| r.start().is_ascii())
                    .map(|r| ClassBytesRange::new(r.start() as u8, r.end().min('\x7f') as u8));
                c.difference(&ClassBytes::new(ascii));
            }
            Hir::class(Class::Bytes(c))
        }
        HirKind::Repetition(mut r) => {
            r.sub = Box::new(sub(*r.sub));
            Hir::repetition(r)
        }
        HirKind::Capture(mut c) => {
            c.sub = Box::new(sub(*c.sub));
            Hir::capture(c)
        }
        HirKind::Concat(v) => Hir::concat(v.into_iter().map(sub).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.into_iter().map(sub).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(patterns: &[&str], src: &str) -> Live {
        Prefilter::new(patterns.iter().copied()).live(src.as_bytes())
    }

    #[test]
    fn eq_and_match_predicates_gate_their_pattern() {
        let pats = [
            r#"((call_expression function: (identifier) @fn) @match (#eq? @fn "append"))"#,
            r#"((var_spec name: (identifier) @name) @match (#match? @name "(?i)^trap.*syscall$"))"#,
        ];
        assert_eq!(live(&pats, "x := append(a, b)"), Live::Some(vec![0]));
        assert_eq!(
            live(&pats, "var TrapSyscalls = 1; y := append(a)"),
            Live::All
        );
        assert_eq!(live(&pats, "var trapped_syscall = 1"), Live::Some(vec![1]));
        assert_eq!(live(&pats, "syscall.Syscall(1)"), Live::Some(vec![]));
    }

    #[test]
    fn assertions_are_dropped_so_a_capture_inside_a_line_still_passes() {
        // `^` and `$` hold at the capture's ends, not the file's.
        let pats = [r#"((interpreted_string_literal) @p @match (#match? @p "^\"/proc/sys/?\"$"))"#];
        assert_eq!(live(&pats, r#"f(x, "/proc/sys")"#), Live::All);
        assert_eq!(live(&pats, r#"f(x, "/proc/self")"#), Live::Some(vec![]));
        let pats = [r#"((identifier) @c @match (#match? @c "\\bmountID\\b"))"#];
        assert_eq!(live(&pats, "xmountIDs"), Live::All);
    }

    #[test]
    fn an_identifier_capture_keeps_its_expression_within_one_word() {
        let var =
            r#"((var_spec name: (identifier) @name) @match (#match? @name "(?i)trap.*syscall"))"#;
        assert_eq!(
            live(&[var], "SIGTRAP   = syscall.Signal(0x5)"),
            Live::Some(vec![])
        );
        assert_eq!(
            live(&[var], "func InotifyInit() { RawSyscall(1) }"),
            Live::Some(vec![])
        );
        assert_eq!(live(&[var], "var trapped_Syscalls = x"), Live::All);
        assert_eq!(live(&[var], "var TRAPsyscall"), Live::All);
        // Stacked captures stand on the same node.
        let two = r#"((identifier) @a @name @match (#match? @name "trap.*syscall"))"#;
        assert_eq!(live(&[two], "trap = syscall"), Live::Some(vec![]));
        // Not an identifier: the expression may cross words.
        for p in [
            r#"((interpreted_string_literal) @s @match (#match? @s "trap.*syscall"))"#,
            r#"((call_expression function: (_) @s) @match (#match? @s "trap.*syscall"))"#,
            r#"((selector_expression (identifier)) @s @match (#match? @s "trap.*syscall"))"#,
        ] {
            assert_eq!(live(&[p], "trap = syscall"), Live::All, "{p}");
        }
    }

    #[test]
    fn vacuous_predicates_are_not_used() {
        // Under a quantifier, or in one branch of an alternation, a capture may hold no node,
        // and then the predicate holds whatever the file says.
        for p in [
            r#"((call_expression arguments: (argument_list (identifier)* @a)) @match (#eq? @a "zzz"))"#,
            r#"((call_expression arguments: (argument_list (identifier)? @a)) @match (#eq? @a "zzz"))"#,
            r#"((call_expression function: [(identifier) @a (selector_expression)]) @match (#eq? @a "zzz"))"#,
        ] {
            assert_eq!(live(&[p], "nothing here"), Live::All, "{p}");
        }
        // A whole alternation captured always holds a node.
        let p = r#"((binary_expression operator: ["==" "!="] right: [(identifier) (selector_expression)] @c) @match (#match? @c "MAGIC"))"#;
        assert_eq!(live(&[p], "nothing here"), Live::Some(vec![]));
    }

    #[test]
    fn negated_unknown_and_unreadable_predicates_filter_nothing() {
        for p in [
            r#"((identifier) @a @match (#not-eq? @a "zzz"))"#,
            r#"((identifier) @a @match (#not-match? @a "zzz"))"#,
            r#"((identifier) @a @match (#any-of? @a "zzz" "yyy"))"#,
            r#"((identifier) @a @match (#eq? @a @b))"#,
            r#"((identifier) @a @match (#match? @a "(unclosed"))"#,
            r#"((identifier) @a @match (#match? @a "^$|x*"))"#,
            r#"((identifier) @a @match (#eq? @a ""))"#,
        ] {
            assert_eq!(live(&[p], "nothing here"), Live::All, "{p}");
        }
    }

    #[test]
    fn escapes_and_comments_are_read_as_tree_sitter_reads_them() {
        let p = "((identifier) @a @match ; a comment with \"quotes\" and @b\n (#eq? @a \"say \\\"hi\\\"\"))";
        assert_eq!(live(&[p], r#"say "hi""#), Live::All);
        assert_eq!(live(&[p], "say hi"), Live::Some(vec![]));
    }
}
