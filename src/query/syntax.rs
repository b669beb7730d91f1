//! Search query syntax -> [`Query`]. Parsing only: matching lines is `query::search`'s job.
//!
//! - patterns: `openat2` (an identifier, or a camelCase/snake_case part of one), `"Reopen("`
//!   (exact text, punctuation and spaces kept; `\"` and `\\` escape), `/Reopen\(\w+/` (a Rust
//!   regex, matched per line), and any other unquoted text (`unix.Openat2`) exactly;
//! - structure: juxtaposition is AND, `OR` (binds looser), parentheses, `-` excludes;
//! - filters, which apply to the whole query wherever they stand outside parentheses:
//!   `repo:` `path:` `sym:` `lang:` `rule:` (each negatable with `-`), `case:yes|no`,
//!   `in:code|comment|string`.
//!
//! Every size a user controls is bounded ([`MAX_QUERY_LEN`], [`MAX_PATTERNS`]); errors
//! ([`QueryError`]) carry the column and a hint.

/// The longest query accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 4096;
/// The most patterns (terms, literals, regexes) one query may hold.
pub const MAX_PATTERNS: usize = 64;
/// How deeply parentheses (and a regex's groups) may nest.
pub const MAX_NESTING: u32 = 32;

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
        let Some(off) = self.offset.filter(|o| self.query.is_char_boundary(*o)) else {
            write!(f, "{}", self.message)?;
            if let Some(h) = &self.hint {
                write!(f, "\nhint: {h}")?;
            }
            return Ok(());
        };
        let col = self.query[..off].chars().count();
        write!(
            f,
            "query syntax error at column {}: {}",
            col + 1,
            self.message
        )?;
        // The caret line only helps when the query fits on a line and holds no control
        // characters that would move the caret.
        if self.query.len() <= 200 && !self.query.chars().any(char::is_control) {
            write!(f, "\n  {}\n  {}^", self.query, " ".repeat(col))?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

type Result<T, E = QueryError> = std::result::Result<T, E>;

/// A syntax error at byte `offset` of `q`.
fn error(q: &str, offset: usize, message: impl Into<String>, hint: Option<String>) -> QueryError {
    QueryError {
        query: q.to_string(),
        offset: Some(offset),
        message: message.into(),
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

/// Where in a file's syntax a match may stand (`in:`), from the language's parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    /// Outside comments and string literals.
    Code,
    /// Inside a comment.
    Comment,
    /// Inside a string (or rune) literal.
    String,
}

/// What one pattern of a query matches on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// An identifier whole or one of its camelCase/snake_case parts (`openat2`).
    Word(String),
    /// Exact text, punctuation and spaces kept (`"Reopen("`, `unix.Openat2`).
    Literal(String),
    /// A Rust regex, matched against each line (`/Reopen\(\w+/`).
    Regex(String),
}

impl Pattern {
    /// The pattern's text as given (a regex without its slashes).
    pub fn text(&self) -> &str {
        match self {
            Pattern::Word(s) | Pattern::Literal(s) | Pattern::Regex(s) => s,
        }
    }
}

/// The boolean structure of a query's patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// One pattern.
    Pattern(Pattern),
    /// Lines the inner expression does not match (`-term`, `-(a OR b)`).
    Not(Box<Expr>),
    /// Every part matches the line.
    And(Vec<Expr>),
    /// At least one part matches the line.
    Or(Vec<Expr>),
}

impl Expr {
    /// Every pattern with its polarity (`true`: under an even number of `Not`s), in query order.
    pub fn patterns(&self) -> Vec<(&Pattern, bool)> {
        fn walk<'a>(e: &'a Expr, positive: bool, out: &mut Vec<(&'a Pattern, bool)>) {
            match e {
                Expr::Pattern(p) => out.push((p, positive)),
                Expr::Not(x) => walk(x, !positive, out),
                Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| walk(x, positive, out)),
            }
        }
        let mut out = Vec::new();
        walk(self, true, &mut out);
        out
    }

    /// Evaluates the expression given whether each pattern (in [`Expr::patterns`] order)
    /// matched.
    pub fn eval(&self, matched: &[bool]) -> bool {
        fn go(e: &Expr, m: &[bool], i: &mut usize) -> bool {
            match e {
                Expr::Pattern(_) => {
                    *i += 1;
                    m[*i - 1]
                }
                Expr::Not(x) => !go(x, m, i),
                // Every part is visited so pattern numbering stays aligned.
                Expr::And(xs) => {
                    let mut all = true;
                    for x in xs {
                        all &= go(x, m, i);
                    }
                    all
                }
                Expr::Or(xs) => {
                    let mut any = false;
                    for x in xs {
                        any |= go(x, m, i);
                    }
                    any
                }
            }
        }
        go(self, matched, &mut 0)
    }
}

/// A parsed search query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// What lines must match (None: only filters were given, every line in scope matches).
    pub expr: Option<Expr>,
    /// Field filters.
    pub filters: Vec<Filter>,
    /// Negated field filters (`-path:vendor/`).
    pub excluded_filters: Vec<Filter>,
    /// `case:yes`: patterns match with case (default: case-insensitive).
    pub case_sensitive: bool,
    /// `in:code|comment|string`.
    pub within: Option<Within>,
}

impl Query {
    /// Does a `rule:` filter (or `-rule:`) stand in the query? Such a query reads the findings
    /// store.
    pub fn names_rules(&self) -> bool {
        self.filters
            .iter()
            .chain(&self.excluded_filters)
            .any(|f| matches!(f, Filter::Rule(_)))
    }

    /// The values of the (positive) filters `pick` selects, e.g. every `rule:` id.
    pub fn filter_values(&self, pick: impl Fn(&Filter) -> Option<&String>) -> Vec<String> {
        self.filters.iter().filter_map(pick).cloned().collect()
    }

    /// Every pattern with its polarity (see [`Expr::patterns`]).
    pub fn patterns(&self) -> Vec<(&Pattern, bool)> {
        self.expr.as_ref().map(Expr::patterns).unwrap_or_default()
    }
}

const FIELDS: &str = "repo:, path:, sym:, lang:, rule:, case:, in:";

/// A lexed piece of a query, with its byte offset.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Or,
    And,
    Not,
    Pattern(Pattern),
    Field(String, String),
}

/// Splits a query into tokens; `depth` tracks parentheses so a `)` ending a word closes a group
/// only when one is open and the word's own parentheses are balanced (`(Reopen())`).
struct Lexer<'q> {
    q: &'q str,
    chars: Vec<(usize, char)>,
    i: usize,
    depth: u32,
}

impl<'q> Lexer<'q> {
    fn new(q: &'q str) -> Lexer<'q> {
        Lexer {
            q,
            chars: q.char_indices().collect(),
            i: 0,
            depth: 0,
        }
    }

    fn offset(&self, i: usize) -> usize {
        self.chars.get(i).map_or(self.q.len(), |c| c.0)
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|c| c.1)
    }

    /// Every token with its offset and the parenthesis depth it stands at.
    fn tokens(mut self) -> Result<Vec<(Tok, usize, u32)>> {
        let mut out = Vec::new();
        while let Some(c) = self.at(self.i) {
            let pos = self.offset(self.i);
            if c.is_whitespace() {
                self.i += 1;
                continue;
            }
            let depth = self.depth;
            let tok = match c {
                '(' => {
                    self.i += 1;
                    self.depth += 1;
                    if self.depth > MAX_NESTING {
                        return Err(error(
                            self.q,
                            pos,
                            format!("parentheses nest deeper than {MAX_NESTING}"),
                            None,
                        ));
                    }
                    Tok::Open
                }
                ')' => {
                    if self.depth == 0 {
                        return Err(error(
                            self.q,
                            pos,
                            "unmatched )",
                            Some(
                                "to search for text holding parentheses, quote it: \"f()\"".into(),
                            ),
                        ));
                    }
                    self.i += 1;
                    self.depth -= 1;
                    Tok::Close
                }
                '-' if self.at(self.i + 1).is_some_and(|n| !n.is_whitespace()) => {
                    self.i += 1;
                    Tok::Not
                }
                '"' => Tok::Pattern(Pattern::Literal(self.quoted()?)),
                '/' => Tok::Pattern(Pattern::Regex(self.regex()?)),
                _ => self.word()?,
            };
            out.push((tok, pos, depth));
        }
        Ok(out)
    }

    /// A `"quoted literal"` starting at the current `"`; `\"` and `\\` are escapes.
    fn quoted(&mut self) -> Result<String> {
        let open = self.offset(self.i);
        let mut j = self.i + 1;
        let mut text = String::new();
        loop {
            match self.at(j) {
                None => {
                    return Err(error(
                        self.q,
                        open,
                        "unclosed quote",
                        Some(
                            "close the text with a matching \" (write \\\" for a quote inside it)"
                                .into(),
                        ),
                    ));
                }
                Some('"') => break,
                Some('\\') if matches!(self.at(j + 1), Some('"' | '\\')) => {
                    text.push(self.at(j + 1).expect("checked"));
                    j += 2;
                }
                Some(c) => {
                    text.push(c);
                    j += 1;
                }
            }
        }
        self.i = j + 1;
        if text.is_empty() {
            return Err(error(self.q, open, "empty quotes \"\"", None));
        }
        Ok(text)
    }

    /// A `/regex/` starting at the current `/`; `\/` is a slash inside it.
    fn regex(&mut self) -> Result<String> {
        let open = self.offset(self.i);
        let mut j = self.i + 1;
        let mut re = String::new();
        loop {
            match self.at(j) {
                None => {
                    return Err(error(
                        self.q,
                        open,
                        "unclosed /regex/",
                        Some("end the regex with / (write \\/ for a slash inside it); to search for a path, quote it: \"/proc/sys\"".into()),
                    ));
                }
                Some('/') => break,
                Some('\\') if self.at(j + 1) == Some('/') => {
                    re.push('/');
                    j += 2;
                }
                Some('\\') if self.at(j + 1).is_some() => {
                    re.push('\\');
                    re.push(self.at(j + 1).expect("checked"));
                    j += 2;
                }
                Some(c) => {
                    re.push(c);
                    j += 1;
                }
            }
        }
        self.i = j + 1;
        if let Some(c) = self.at(self.i)
            && !c.is_whitespace()
            && !(c == ')' && self.depth > 0)
        {
            return Err(error(
                self.q,
                self.offset(self.i),
                "text right after the closing / of a regex",
                Some(
                    "put a space after the regex; to search for a path, quote it: \"/proc/sys\""
                        .into(),
                ),
            ));
        }
        if re.is_empty() {
            return Err(error(self.q, open, "empty regex //", None));
        }
        validate_regex(self.q, open, &re)?;
        Ok(re)
    }

    /// A bare word: `OR`, `AND`, `field:value` or a pattern.
    fn word(&mut self) -> Result<Tok> {
        let start = self.i;
        let mut k = start;
        while self.at(k).is_some_and(|c| c.is_ascii_alphabetic()) {
            k += 1;
        }
        if k > start && self.at(k) == Some(':') && self.at(k + 1) == Some('"') {
            let field: String = self.chars[start..k].iter().map(|c| c.1).collect();
            self.i = k + 1;
            return Ok(Tok::Field(field, self.quoted()?));
        }
        let mut j = self.i;
        let mut inner = 0u32;
        while let Some(c) = self.at(j) {
            if c.is_whitespace() {
                break;
            }
            if c == '(' {
                inner += 1;
            } else if c == ')' {
                if inner == 0 && self.depth > 0 {
                    break;
                }
                if inner == 0 {
                    // `Reopen)` with no group open: a typo, not the text "Reopen)".
                    return Err(error(
                        self.q,
                        self.offset(j),
                        "unmatched )",
                        Some("to search for text holding parentheses, quote it: \"f()\"".into()),
                    ));
                }
                inner -= 1;
            }
            j += 1;
        }
        let text: String = self.chars[start..j].iter().map(|c| c.1).collect();
        self.i = j;
        match text.as_str() {
            "OR" => return Ok(Tok::Or),
            "AND" => return Ok(Tok::And),
            _ => {}
        }
        if let Some((field, value)) = text.split_once(':')
            && !field.is_empty()
            && field.chars().all(|c| c.is_ascii_alphabetic())
        {
            return Ok(Tok::Field(field.to_string(), value.to_string()));
        }
        let word = text.chars().all(|c| c.is_alphanumeric() || c == '_');
        Ok(Tok::Pattern(if word {
            Pattern::Word(text)
        } else {
            Pattern::Literal(text)
        }))
    }
}

/// Checks a regex's syntax and size, placing an error inside the query.
fn validate_regex(q: &str, open: usize, re: &str) -> Result<()> {
    let parsed = regex_syntax::ParserBuilder::new()
        .nest_limit(MAX_NESTING)
        .build()
        .parse(re);
    match parsed {
        Ok(_) => Ok(()),
        Err(e) => {
            let (span, kind) = match &e {
                regex_syntax::Error::Parse(p) => (p.span().start.offset, p.kind().to_string()),
                regex_syntax::Error::Translate(t) => (t.span().start.offset, t.kind().to_string()),
                _ => (0, e.to_string()),
            };
            // `\/` became `/` in `re`: one byte less per escaped slash before the problem.
            let escapes = re[..span.min(re.len())].matches('/').count();
            Err(error(
                q,
                (open + 1 + span + escapes).min(q.len()),
                format!("bad regex: {kind}"),
                Some("regexes use Rust syntax (https://docs.rs/regex); to search for the text itself, quote it".into()),
            ))
        }
    }
}

/// A filter token, resolved: where it goes in the query.
enum Setting {
    Filter(Filter),
    Case(bool),
    Within(Within),
}

fn setting(q: &str, pos: usize, field: &str, value: &str) -> Result<Setting> {
    if value.is_empty() {
        return Err(error(
            q,
            pos,
            format!("{field}: needs a value (e.g. {field}:x)"),
            None,
        ));
    }
    Ok(match field {
        "repo" => Setting::Filter(Filter::Repo(value.to_string())),
        "path" => Setting::Filter(Filter::Path(value.to_string())),
        "sym" => Setting::Filter(Filter::Sym(value.to_string())),
        "rule" => Setting::Filter(Filter::Rule(value.to_string())),
        "lang" => {
            if crate::lang::Lang::from_name(value).is_none() {
                let names: Vec<String> = crate::lang::names()
                    .iter()
                    .map(|n| format!("lang:{n}"))
                    .collect();
                return Err(error(
                    q,
                    pos,
                    format!(
                        "lang:{value} is not a language; use one of {}",
                        names.join(", ")
                    ),
                    None,
                ));
            }
            Setting::Filter(Filter::Lang(value.to_string()))
        }
        "case" => match value {
            "yes" => Setting::Case(true),
            "no" => Setting::Case(false),
            _ => {
                return Err(error(
                    q,
                    pos,
                    format!("case:{value}: use case:yes or case:no"),
                    None,
                ));
            }
        },
        "in" => Setting::Within(match value {
            "code" => Within::Code,
            "comment" | "comments" => Within::Comment,
            "string" | "strings" => Within::String,
            _ => {
                return Err(error(
                    q,
                    pos,
                    format!("in:{value}: use in:code, in:comment or in:string"),
                    None,
                ));
            }
        }),
        _ => {
            return Err(error(
                q,
                pos,
                format!("unknown field {field:?}"),
                Some(format!(
                    "fields are {FIELDS}; to search for the text, quote it: \"{field}:{value}\""
                )),
            ));
        }
    })
}

/// Recursive descent over the tokens left once filters are taken out.
struct Parser<'q> {
    q: &'q str,
    toks: Vec<(Tok, usize)>,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.0)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.q.len(), |t| t.1)
    }

    fn or(&mut self) -> Result<Expr> {
        let mut alts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.i += 1;
            alts.push(self.and()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().expect("one")
        } else {
            Expr::Or(alts)
        })
    }

    fn and(&mut self) -> Result<Expr> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                None | Some(Tok::Close) | Some(Tok::Or) => break,
                Some(Tok::And) if !parts.is_empty() => self.i += 1,
                _ => parts.push(self.unary()?),
            }
        }
        if parts.is_empty() {
            let (what, hint) = match self.toks.get(self.i.wrapping_sub(1)).map(|t| &t.0) {
                Some(Tok::Open) if self.peek().is_none() => (
                    "unclosed (",
                    Some("close the group with ), or quote the text: \"(\"".to_string()),
                ),
                Some(Tok::Open) => ("empty parentheses", None),
                _ => (
                    "OR needs a pattern on each side",
                    Some("to search for the word OR, quote it: \"OR\"".to_string()),
                ),
            };
            let at = self
                .toks
                .get(self.i.wrapping_sub(1))
                .map_or(self.pos(), |t| t.1);
            return Err(error(self.q, at, what, hint));
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one")
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Expr> {
        match self.peek() {
            Some(Tok::Not) => {
                self.i += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                let open = self.pos();
                self.i += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(error(
                        self.q,
                        open,
                        "unclosed (",
                        Some("close the group with )".into()),
                    ));
                }
                self.i += 1;
                Ok(e)
            }
            Some(Tok::Pattern(p)) => {
                let p = p.clone();
                self.i += 1;
                Ok(Expr::Pattern(p))
            }
            Some(Tok::And) => Err(error(
                self.q,
                self.pos(),
                "AND needs a pattern on each side",
                Some("to search for the word AND, quote it: \"AND\"".into()),
            )),
            _ => Err(error(self.q, self.pos(), "expected a pattern", None)),
        }
    }
}

/// The most words (terms, phrases' words, filters) a query may hold.
pub const MAX_QUERY_WORDS: usize = 64;

/// Where a value may be a rule id or a search query (`identify --fail-on`, a manifest's
/// `watch`): a query when it holds a space, colon, quote, slash or parenthesis, which rule ids
/// never do (`rule:sysctl-write sym:WriteSysctls`), else a rule id (`openat2-resolve-no-xdev`).
pub fn is_query(s: &str) -> bool {
    s.contains(|c: char| c.is_whitespace() || ":\"/()".contains(c))
}

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
        let mut rest: Vec<(Tok, usize)> = Vec::new();
        let mut negate: Option<usize> = None;
        let mut case_set: Option<bool> = None;
        for (tok, pos, depth) in Lexer::new(q).tokens()? {
            let Tok::Field(field, value) = tok else {
                if let Some(n) = negate.take() {
                    rest.push((Tok::Not, n));
                }
                if tok == Tok::Not {
                    negate = Some(pos);
                } else {
                    rest.push((tok, pos));
                }
                continue;
            };
            let at = negate.unwrap_or(pos);
            if depth > 0 {
                return Err(error(
                    q,
                    pos,
                    format!("{field}: inside parentheses"),
                    Some(
                        "filters apply to the whole query: put them outside the parentheses".into(),
                    ),
                ));
            }
            match (setting(q, pos, &field, &value)?, negate.take()) {
                (Setting::Filter(f), None) => out.filters.push(f),
                (Setting::Filter(f), Some(_)) => out.excluded_filters.push(f),
                (Setting::Case(c), None) => {
                    if case_set.is_some_and(|x| x != c) {
                        return Err(error(q, pos, "case:yes and case:no both given", None));
                    }
                    case_set = Some(c);
                    out.case_sensitive = c;
                }
                (Setting::Within(w), None) => {
                    if out.within.is_some_and(|x| x != w) {
                        return Err(error(
                            q,
                            pos,
                            "more than one in: scope",
                            Some("use one of in:code, in:comment, in:string".into()),
                        ));
                    }
                    out.within = Some(w);
                }
                (_, Some(_)) => {
                    return Err(error(
                        q,
                        at,
                        format!("-{field}: cannot be negated"),
                        Some(match field.as_str() {
                            "case" => "use case:no (the default) or case:yes".into(),
                            _ => "name the scope you want: in:code, in:comment or in:string".into(),
                        }),
                    ));
                }
            }
        }
        if let Some(n) = negate {
            rest.push((Tok::Not, n));
        }
        if !rest.is_empty() {
            let mut p = Parser {
                q,
                toks: rest,
                i: 0,
            };
            let e = p.or()?;
            if p.i < p.toks.len() {
                return Err(error(q, p.pos(), "unexpected )", None));
            }
            out.expr = Some(e);
        }
        out.check_sizes(q)?;
        Ok(out)
    }

    fn check_sizes(&self, q: &str) -> Result<()> {
        let patterns = self.patterns();
        if patterns.len() > MAX_PATTERNS {
            return Err(QueryError {
                query: q.to_string(),
                offset: None,
                message: format!(
                    "the query holds {} patterns; the limit is {MAX_PATTERNS}",
                    patterns.len()
                ),
                hint: None,
            });
        }
        if !patterns.iter().any(|(_, positive)| *positive) && self.filters.is_empty() {
            return Err(QueryError {
                query: q.to_string(),
                offset: None,
                message: format!(
                    "the query has nothing to search for: give a term (e.g. openat2), a \"literal\", a /regex/ or a filter ({FIELDS})"
                ),
                hint: None,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(s: &str) -> Expr {
        Expr::Pattern(Pattern::Word(s.into()))
    }

    fn lit(s: &str) -> Expr {
        Expr::Pattern(Pattern::Literal(s.into()))
    }

    #[test]
    fn parses_terms_literals_exclusions_and_filters() {
        let q = Query::parse(
            "openat2 \"invalid cross\" -test repo:runc -path:vendor/ sym:WriteSysctls",
        )
        .unwrap();
        assert_eq!(
            q.expr,
            Some(Expr::And(vec![
                word("openat2"),
                lit("invalid cross"),
                Expr::Not(Box::new(word("test")))
            ]))
        );
        assert_eq!(
            q.filters,
            [
                Filter::Repo("runc".into()),
                Filter::Sym("WriteSysctls".into())
            ]
        );
        assert_eq!(q.excluded_filters, [Filter::Path("vendor/".into())]);
        assert!(!q.case_sensitive && q.within.is_none());
    }

    #[test]
    fn literals_keep_punctuation_and_unquoted_non_words_are_literals() {
        let q = Query::parse(r#""Reopen(" unix.Openat2 "say \"hi\"""#).unwrap();
        assert_eq!(
            q.expr,
            Some(Expr::And(vec![
                lit("Reopen("),
                lit("unix.Openat2"),
                lit("say \"hi\"")
            ]))
        );
        assert_eq!(
            Query::parse("Reopen()").unwrap().expr,
            Some(lit("Reopen()"))
        );
    }

    #[test]
    fn or_binds_looser_than_and_and_parentheses_group() {
        let q = Query::parse("a b OR c").unwrap();
        assert_eq!(
            q.expr,
            Some(Expr::Or(vec![
                Expr::And(vec![word("a"), word("b")]),
                word("c")
            ]))
        );
        let q = Query::parse("x (Reopen() OR -open)").unwrap();
        assert_eq!(
            q.expr,
            Some(Expr::And(vec![
                word("x"),
                Expr::Or(vec![lit("Reopen()"), Expr::Not(Box::new(word("open")))])
            ]))
        );
        let q = Query::parse("-(a OR b) c AND d").unwrap();
        assert_eq!(
            q.expr,
            Some(Expr::And(vec![
                Expr::Not(Box::new(Expr::Or(vec![word("a"), word("b")]))),
                word("c"),
                word("d")
            ]))
        );
    }

    #[test]
    fn regexes_case_and_scopes() {
        let q = Query::parse(r"/Reopen\(\w+/ case:yes in:code -repo:x").unwrap();
        assert_eq!(
            q.expr,
            Some(Expr::Pattern(Pattern::Regex(r"Reopen\(\w+".into())))
        );
        assert!(q.case_sensitive);
        assert_eq!(q.within, Some(Within::Code));
        assert_eq!(q.excluded_filters, [Filter::Repo("x".into())]);
        let q = Query::parse(r"/a\/b/").unwrap();
        assert_eq!(q.expr, Some(Expr::Pattern(Pattern::Regex("a/b".into()))));
        let q = Query::parse("(/x+/)").unwrap();
        assert_eq!(q.expr, Some(Expr::Pattern(Pattern::Regex("x+".into()))));
    }

    #[test]
    fn filters_apply_to_the_whole_query_outside_parentheses() {
        let q = Query::parse("a OR b repo:runc").unwrap();
        assert_eq!(q.expr, Some(Expr::Or(vec![word("a"), word("b")])));
        assert_eq!(q.filters, [Filter::Repo("runc".into())]);
        let e = Query::parse("(a repo:runc) OR b").unwrap_err();
        assert_eq!(e.offset, Some(3));
        assert!(e.to_string().contains("outside the parentheses"), "{e}");
        let q = Query::parse("path:\"docs dir/\" x").unwrap();
        assert_eq!(q.filters, [Filter::Path("docs dir/".into())]);
    }

    #[test]
    fn syntax_errors_give_the_column_and_a_hint() {
        let cases: &[(&str, usize, &str)] = &[
            ("openat2 \"unclosed", 9, "unclosed quote"),
            ("colour:red", 1, "unknown field \"colour\""),
            ("a /b(/", 5, "bad regex"),
            ("a /unclosed", 3, "unclosed /regex/"),
            ("/proc/sys", 7, "text right after the closing /"),
            ("(a OR b", 1, "unclosed ("),
            ("a )", 3, "unmatched )"),
            ("a OR", 3, "OR needs a pattern on each side"),
            ("a ()", 3, "empty parentheses"),
            ("openat2 OR Reopen)", 18, "unmatched )"),
            ("foo (", 5, "unclosed ("),
            ("x in:everything", 3, "in:everything"),
            ("x -case:yes", 3, "cannot be negated"),
            ("x lang:cobol", 3, "not a language"),
        ];
        for (q, col, what) in cases {
            let e = Query::parse(q).unwrap_err();
            let s = e.to_string();
            assert!(
                s.contains(&format!("column {col}:")) && s.contains(what),
                "{q}: {s}"
            );
            // Every error shows where, with or without a hint.
            let caret = format!("\n  {q}\n  {}^", " ".repeat(col - 1));
            assert!(s.contains(&caret), "{q}: {s}");
        }
        let e = Query::parse(r"/a\/b(/").unwrap_err();
        assert_eq!(e.offset, Some(5), "{e}");
    }

    #[test]
    fn hostile_sizes_are_refused() {
        let long = "a ".repeat(MAX_QUERY_LEN);
        assert!(
            Query::parse(&long)
                .unwrap_err()
                .to_string()
                .contains("limit")
        );
        // Refused by the word bound or the pattern bound, whichever comes first.
        let many = (0..=MAX_PATTERNS.max(MAX_QUERY_WORDS))
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>();
        let e = Query::parse(&many.join(" ")).unwrap_err().to_string();
        assert!(e.contains("limit") || e.contains("patterns"), "{e}");
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert!(
            Query::parse(&deep)
                .unwrap_err()
                .to_string()
                .contains("nest")
        );
        let deep_re = format!("/{}a{}/", "(".repeat(400), ")".repeat(400));
        assert!(Query::parse(&deep_re).is_err());
    }

    #[test]
    fn exclusions_alone_are_not_a_query() {
        assert!(Query::parse("-foo").is_err());
        assert!(Query::parse("-foo path:x").is_ok());
        assert!(Query::parse("rule:x").is_ok());
    }

    #[test]
    fn eval_follows_the_pattern_order() {
        let q = Query::parse("a (b OR -c)").unwrap();
        let e = q.expr.unwrap();
        assert_eq!(e.patterns().len(), 3);
        assert!(e.eval(&[true, false, false]));
        assert!(!e.eval(&[true, false, true]));
        assert!(e.eval(&[true, true, true]));
        assert!(!e.eval(&[false, true, false]));
    }
}
