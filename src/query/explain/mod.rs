//! `archeo explain`: a runtime error message -> the code that emits each wrapped segment, the
//! route between consecutive segments that the message itself supports, and the releases that
//! emit each repository's part of it.
//!
//! Go error chains join layers with ": " (`fmt.Errorf("open sysctl %s file: %w", key, err)`),
//! but a layer may contain ": " itself, so segmentation is a search: every span of ": "-pieces
//! is matched against the indexed format strings (verbs match any text, literal parts exactly),
//! string literals equal to it, and errno texts, and the segmentation explaining the most
//! literal text wins. The chain is then chosen, not assumed (`route`): each repository's part
//! is read at one revision holding it, and between consecutive segments only routes consistent
//! with the message on both sides count.

mod route;

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Result;
use serde::Serialize;

use crate::index::catalog::IndexedRev;
use crate::index::citation::Citation;
use crate::index::store::StoredLiteral;
use crate::index::{Index, Places};
use crate::source::lock::RefKind;

pub use route::{Alternative, Verdict};

/// A place emitting a segment.
#[derive(Debug, Clone)]
pub struct Site {
    /// The literal's line, cited with the revisions holding it.
    pub cite: Citation,
    /// The function holding it.
    pub function: Option<String>,
    /// The literal as written (`%w: subpath %s/%s has an overmount ...`), before explain strips
    /// the verbs that wrap other errors.
    pub literal: String,
}

/// A format string that explains a segment, with every site holding it.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The format string as written (`open sysctl %s file: %w`), or `Op: "openat2"`.
    pub format: String,
    /// How the literal is used: fmt.Errorf, errors.New (sentinel errX), os.PathError Op, a
    /// string literal passed to a function, ...
    pub kind: String,
    /// Characters of literal text it matches: the first ranking key.
    pub literal_chars: usize,
    /// Why the match says little, when it does: a verb stands for several words of the message
    /// (`%s failed` taking `OCI runtime create`). Weak candidates are listed, never chained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak: Option<String>,
    /// Where it stands, best first.
    pub sites: Vec<Site>,
}

impl Candidate {
    /// A sentinel error (`var errX = errors.New(...)`): its text is made where it is declared,
    /// and wrapped where it is used.
    pub fn is_sentinel(&self) -> bool {
        self.kind.starts_with("sentinel ")
    }

    /// A string literal that is not an error format, matching the segment exactly.
    pub fn is_plain_literal(&self) -> bool {
        self.kind.starts_with("literal ") || self.kind == "string literal"
    }
}

/// The site the chain goes through for one segment, at the revision its part is read at.
#[derive(Debug, Clone, Serialize)]
pub struct Chosen {
    /// Index into the segment's candidates.
    pub candidate: usize,
    /// Index into that candidate's sites.
    pub site: usize,
    /// `runc@v1.4.3`: the revision the site is read at.
    pub at: String,
    /// Where the code stands at that revision (permalink on its commit).
    pub url: String,
    /// `module version` when the site is vendored code, as that revision vendors it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendored: Option<String>,
    /// For a sentinel: the function that wraps it and where (the route goes through it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrapped_at: Option<Wrap>,
    /// How the code there agrees with the message around the segment.
    pub shape: String,
}

/// Where a sentinel error is wrapped into the message.
#[derive(Debug, Clone, Serialize)]
pub struct Wrap {
    /// The function using it (`procfs.procfsLookupInRoot`).
    pub function: String,
    /// `path:line` of the use.
    pub path: String,
    /// The use's line.
    pub line: u32,
    /// Permalink at the part's revision.
    pub url: String,
}

/// One wrapped layer of the message.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    /// The layer's text.
    pub text: String,
    /// `EXDEV (18)` when the text is an errno's.
    pub errno: Option<String>,
    /// Best first; empty when no source is known.
    pub candidates: Vec<Candidate>,
    /// The site the chain goes through (None: unexplained, an errno, or no route was decided).
    pub chosen: Option<Chosen>,
}

impl Segment {
    /// Has a source that is not weak.
    pub fn explained_by_code(&self) -> bool {
        self.candidates.iter().any(|c| c.weak.is_none())
    }
}

/// How segment `from` leads to segment `to`.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// The outer segment (index).
    pub from: usize,
    /// The inner segment (index).
    pub to: usize,
    /// `runc@v1.4.3`: the revision whose reference graph shows the route (None when the two
    /// segments come from different repositories).
    pub at: Option<String>,
    /// `WriteSysctls reaches procfsLookupInRoot through 6 calls: ...`, or why none is shown.
    pub how: String,
    /// The chosen route, from the outer segment's function (from the child's entry point when
    /// `boundary`) to the inner one's, each hop cited.
    pub hops: Vec<crate::query::xref::Hop>,
    /// The link crosses a process boundary: the inner error was written by a child process.
    pub boundary: bool,
    /// The other routes weighed, best first, each with why it ranks lower or is ruled out.
    pub alternatives: Vec<Alternative>,
}

/// The revisions of one repository that emit its part of the message.
#[derive(Debug, Clone, Serialize)]
pub struct RepoEmission {
    /// Repository name.
    pub repo: String,
    /// `runc@v1.4.3`: the revision the part's chain is read at.
    pub at: String,
    /// Compressed: `v1.2.8, v1.3.3..v1.3.6`
    pub emit: String,
    /// The emitting revisions, in version order.
    pub revs: Vec<String>,
    /// Nearest revisions that do not emit it, with the segments they lack.
    pub nearest_without: Vec<(String, Vec<usize>)>,
    /// The segments (indices) of this repository's part.
    pub segments: Vec<usize>,
}

/// What `archeo explain` found.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The message, whitespace normalised.
    pub message: String,
    /// Its segments, outermost first.
    pub segments: Vec<Segment>,
    /// How consecutive explained segments are linked.
    pub chain: Vec<Link>,
    /// Per repository holding a part of the message, the revisions emitting that part.
    pub emitted_by: Vec<RepoEmission>,
}

impl Explanation {
    /// Every segment has a (not weak) source or is an errno text.
    pub fn all_explained(&self) -> bool {
        self.segments
            .iter()
            .all(|s| s.errno.is_some() || s.explained_by_code())
    }
}

/// How well a span of pieces is explained: literal score, errno, matching patterns (best first).
type SpanMatch = (usize, Option<(u16, &'static str, &'static str)>, Vec<usize>);

/// The longest message explain takes, in bytes (a message, not a log).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// The most ": "-separated parts a message may have.
pub const MAX_PIECES: usize = 4096;
/// The most ": "-separated parts one segment (one error layer) may span: with it, matching is
/// linear in the message's length.
const MAX_SPAN: usize = 16;

/// A pattern compiled from a format string: its literal length and parts, the literal text it
/// must start and end with (checked before anything else), and the full-match regex, built on
/// first use (most formats never get past the start and end checks).
struct Pattern {
    source: String,
    verbs: usize,
    literal: usize,
    parts: Vec<String>,
    starts: String,
    ends: String,
    re: OnceCell<Option<regex::Regex>>,
}

/// Compiles a Go format string into a full-match pattern: verbs (`%s %d %v %q %w %x`, with
/// flags, widths and precisions) match any text; `%%` is a literal percent.
fn compile(format: &str) -> Option<Pattern> {
    let mut source = String::from("^");
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut literal = 0;
    let mut verbs = 0;
    let mut starts: Option<String> = None;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            lit.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            lit.push('%');
            continue;
        }
        // flags, width, precision, then the verb letter
        while let Some(&n) = chars.peek() {
            if "+-# 0123456789.*[]".contains(n) {
                chars.next();
            } else {
                break;
            }
        }
        let verb = chars.next()?;
        if !verb.is_ascii_alphabetic() {
            return None;
        }
        verbs += 1;
        literal += lit.chars().count();
        source.push_str(&regex::escape(&lit));
        starts.get_or_insert_with(|| lit.clone());
        if !lit.is_empty() {
            parts.push(std::mem::take(&mut lit));
        }
        source.push_str(verb_pattern(verb));
    }
    let ends = lit.clone();
    literal += lit.chars().count();
    source.push_str(&regex::escape(&lit));
    if !lit.is_empty() {
        parts.push(lit);
    }
    source.push('$');
    Some(Pattern {
        source,
        verbs,
        literal,
        parts,
        starts: starts.unwrap_or_else(|| ends.clone()),
        ends,
        re: OnceCell::new(),
    })
}

/// What a verb can print: `%q` a quoted string or rune, `%d` an integer, `%x` hex digits, `%t`
/// a boolean; any other verb (`%s`, `%v`, `%w`, ...) any text. A `failed to write %q` does not
/// explain `failed to write 4242`.
fn verb_pattern(verb: char) -> &'static str {
    match verb {
        'q' => r#"("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)+'|`[^`]*`)"#,
        // (widths pad with spaces or zeros)
        'd' => r"( *[-+]?[0-9]+)",
        'x' | 'X' => r"( *(?:-?(?:0[xX])?[0-9a-fA-F]+ ?)+)",
        't' => r"(true|false)",
        _ => "(.*?)",
    }
}

impl Pattern {
    fn regex(&self) -> Option<&regex::Regex> {
        self.re
            .get_or_init(|| {
                regex::RegexBuilder::new(&self.source)
                    .dot_matches_new_line(true)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// Does the whole of `text` match?
    fn matches(&self, text: &str) -> bool {
        if self.verbs == 0 {
            return self.parts.first().map_or(text.is_empty(), |p| p == text);
        }
        text.len() >= self.starts.len() + self.ends.len()
            && text.starts_with(&self.starts)
            && text.ends_with(&self.ends)
            && self.regex().is_some_and(|re| re.is_match(text))
    }

    /// What each verb took of `text` (which the pattern matches).
    fn captures(&self, text: &str) -> Vec<String> {
        if self.verbs == 0 {
            return Vec::new();
        }
        self.regex()
            .and_then(|re| re.captures(text))
            .map(|c| {
                c.iter()
                    .skip(1)
                    .flatten()
                    .map(|m| m.as_str().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Splits a message into ": "-separated pieces, whitespace normalised (wrapped log lines).
pub fn pieces(message: &str) -> Vec<String> {
    let norm = message.split_whitespace().collect::<Vec<_>>().join(" ");
    norm.split(": ").map(str::to_string).collect()
}

/// A format string known to the index, compiled, with the literals holding it.
struct Known {
    format: String,
    kind: String,
    pattern: Pattern,
    literals: Vec<StoredLiteral>,
}

/// Explains a message over the revisions `--at`/`--repo` select.
pub fn explain(
    index: &Index,
    message: &str,
    at: &[String],
    repos: &[String],
) -> Result<Explanation> {
    if message.len() > MAX_MESSAGE_BYTES {
        anyhow::bail!(
            "the message is {} bytes long; explain takes at most {MAX_MESSAGE_BYTES}: give it the error line, not a whole log",
            message.len()
        );
    }
    let ps = pieces(message);
    if ps.len() > MAX_PIECES {
        anyhow::bail!(
            "the message has {} \": \"-separated parts; explain takes at most {MAX_PIECES}: give it one error, not a log",
            ps.len()
        );
    }
    let message = ps.join(": ");
    let revs = index.select(at, repos)?;
    let known = known_formats(index, &message)?;
    // Keep only literals present in the selected revisions.
    let wanted: BTreeSet<String> = known
        .iter()
        .flat_map(|k| k.literals.iter().map(|l| l.blob.clone()))
        .collect();
    let places = index.places(&revs, |id| wanted.contains(id), |_| true)?;
    let spans = match_spans(&ps, &known, &places);
    let cuts = segmentation(ps.len(), &spans);
    let mut memo = HashMap::new();
    let mut segments: Vec<Segment> = cuts
        .iter()
        .map(|&(i, j)| {
            segment(
                index,
                &ps[i..j].join(": "),
                spans.get(&(i, j)),
                &known,
                &places,
                &mut memo,
            )
        })
        .collect();
    rank_by_affinity(&mut segments);
    let parts = parts(index, &revs, &segments);
    let chain = route::chain(
        index,
        &route::Message {
            pieces: &ps,
            cuts: &cuts,
        },
        &mut segments,
        &parts,
    )?;
    let emitted_by = emission(index, &revs, &segments, &parts);
    Ok(Explanation {
        message,
        segments,
        chain,
        emitted_by,
    })
}

/// The error formats and message-like literals whose every required word the message holds
/// and whose literal parts all occur in it.
fn known_formats(index: &Index, message: &str) -> Result<Vec<Known>> {
    let words = crate::lang::errfmt::message_words(message);
    // Each source comes as written (shown) and in Go's verb syntax (compiled).
    let mut by_format: HashMap<(String, String), (String, Vec<StoredLiteral>)> = HashMap::new();
    for l in index.literals_within(&words)? {
        if let Some(f) = crate::lang::errfmt::error_source(l.lang, &l.lit) {
            by_format
                .entry((f.format, f.kind))
                .or_insert_with(|| (f.pattern, Vec::new()))
                .1
                .push(l);
        }
    }
    let compiled: Vec<(String, String, Pattern, Vec<StoredLiteral>)> = by_format
        .into_iter()
        .filter_map(|((format, kind), (pattern, literals))| {
            let pattern = compile(&pattern)?;
            (pattern.literal >= 3).then_some((format, kind, pattern, literals))
        })
        .collect();
    // Which literal parts the message holds, in one pass over it (not one per part).
    let parts: Vec<String> = {
        let mut p: Vec<String> = compiled
            .iter()
            .flat_map(|c| c.2.parts.iter().cloned())
            .collect();
        p.sort_unstable();
        p.dedup();
        p
    };
    let held: std::collections::HashSet<&str> = match aho_corasick::AhoCorasick::new(&parts) {
        Ok(ac) => ac
            .find_overlapping_iter(message)
            .map(|m| parts[m.pattern().as_usize()].as_str())
            .collect(),
        Err(_) => parts
            .iter()
            .map(String::as_str)
            .filter(|p| message.contains(p))
            .collect(),
    };
    let mut known: Vec<Known> = compiled
        .into_iter()
        .filter(|c| c.2.parts.iter().all(|p| held.contains(p.as_str())))
        .map(|(format, kind, pattern, literals)| Known {
            format,
            kind,
            pattern,
            literals,
        })
        .collect();
    known.sort_by(|a, b| a.format.cmp(&b.format).then_with(|| a.kind.cmp(&b.kind)));
    Ok(known)
}

/// The best explanation of each span `[i, j)` of pieces (at most [`MAX_SPAN`] wide): errno
/// texts and known formats present in the selected revisions.
fn match_spans(
    ps: &[String],
    known: &[Known],
    places: &Places,
) -> HashMap<(usize, usize), SpanMatch> {
    let present: Vec<bool> = known
        .iter()
        .map(|k| k.literals.iter().any(|l| places.contains_key(&l.blob)))
        .collect();
    let n = ps.len();
    let mut span = HashMap::new();
    for i in 0..n {
        let mut text = String::new();
        for j in i + 1..=n.min(i + MAX_SPAN) {
            if j > i + 1 {
                text.push_str(": ");
            }
            text.push_str(&ps[j - 1]);
            let errno = crate::query::errno::by_text(&text);
            let mut matched: Vec<usize> = (0..known.len())
                .filter(|k| present[*k] && known[*k].pattern.matches(&text))
                .collect();
            matched.sort_by(|a, b| {
                known[*b]
                    .pattern
                    .literal
                    .cmp(&known[*a].pattern.literal)
                    .then_with(|| known[*a].format.cmp(&known[*b].format))
            });
            let score = match (errno, matched.first()) {
                (Some(_), _) => text.chars().count(),
                (None, Some(k)) => known[*k].pattern.literal,
                (None, None) => 0,
            };
            if score > 0 {
                span.insert((i, j), (score, errno, matched));
            }
        }
    }
    span
}

/// The segmentation of `n` pieces maximising explained literal text; fewer segments on ties.
fn segmentation(n: usize, spans: &HashMap<(usize, usize), SpanMatch>) -> Vec<(usize, usize)> {
    let mut best: Vec<(usize, usize, usize)> = vec![(0, 0, 0); n + 1]; // (score, segments, prev)
    for j in 1..=n {
        let mut b = (0usize, usize::MAX, j - 1);
        let from = j.saturating_sub(MAX_SPAN);
        for (i, prev) in best.iter().enumerate().take(j).skip(from) {
            let s = spans.get(&(i, j)).map_or(0, |x| x.0);
            if s == 0 && j - i > 1 {
                continue;
            }
            let cand = (prev.0 + s, prev.1 + 1, i);
            if cand.0 > b.0 || (cand.0 == b.0 && cand.1 < b.1) {
                b = cand;
            }
        }
        best[j] = b;
    }
    let mut cuts = Vec::new();
    let mut j = n;
    while j > 0 {
        let i = best[j].2;
        cuts.push((i, j));
        j = i;
    }
    cuts.reverse();
    cuts
}

/// One segment with its candidates, each with every site emitting it, ranked.
fn segment(
    index: &Index,
    text: &str,
    span: Option<&SpanMatch>,
    known: &[Known],
    places: &Places,
    memo: &mut HashMap<usize, Candidate>,
) -> Segment {
    let Some((_, errno, matched)) = span else {
        return Segment {
            text: text.to_string(),
            errno: None,
            candidates: Vec::new(),
            chosen: None,
        };
    };
    // A message repeating a layer cites the same sites again: each format is placed once.
    let mut candidates: Vec<Candidate> = matched
        .iter()
        .map(|k| {
            let mut c = memo
                .entry(*k)
                .or_insert_with(|| candidate(index, &known[*k], places))
                .clone();
            c.weak = weakness(&known[*k].pattern, text);
            c
        })
        .collect();
    if errno.is_some() {
        // The kernel's text explains the whole segment: a format explains it only as fully.
        // (A plain literal holding it is a table of errno texts, not a source.)
        let whole = text.chars().count();
        candidates.retain(|c| c.literal_chars >= whole && !c.is_plain_literal());
    }
    // Alternatives with less than half the best literal text are noise ("%d to %d"); strong
    // candidates first.
    if let Some(best) = candidates
        .iter()
        .filter(|c| c.weak.is_none())
        .map(|c| c.literal_chars)
        .max()
        .or_else(|| candidates.first().map(|c| c.literal_chars))
    {
        candidates.retain(|c| c.literal_chars * 2 >= best || c.weak.is_some());
    }
    candidates.sort_by_key(|c| c.weak.is_some());
    Segment {
        text: text.to_string(),
        errno: errno.map(|(num, name, _)| format!("{name} ({num})")),
        candidates,
        chosen: None,
    }
}

/// Why a format says little about `text`: one of its verbs took several words and more text
/// than the format's literal parts hold (`%s failed` on `OCI runtime create failed`).
fn weakness(p: &Pattern, text: &str) -> Option<String> {
    let took = p.captures(text);
    let wide = took.iter().find(|t| t.trim().contains(' '))?;
    let taken: usize = took.iter().map(|t| t.chars().count()).sum();
    (taken > p.literal).then(|| {
        format!(
            "generic: a verb stands for {wide:?}; the format's own text is {} of the segment's {} characters",
            p.literal,
            text.chars().count()
        )
    })
}

fn candidate(index: &Index, k: &Known, places: &Places) -> Candidate {
    let mut sites = Vec::new();
    for l in &k.literals {
        for place in places.get(&l.blob).into_iter().flatten() {
            sites.push(Site {
                cite: index.cite(&l.blob, place, l.lit.line, l.lit.line),
                function: l.decl.clone(),
                literal: l.lit.value.clone(),
            });
        }
    }
    // A site emitting the message in more releases is its more typical source: breadth first,
    // then the shared ranking.
    sites.sort_by(|a, b| {
        let (x, y) = (&a.cite, &b.cite);
        (x.vendored_module.is_some(), y.revs.len())
            .cmp(&(y.vendored_module.is_some(), x.revs.len()))
            .then_with(|| x.rank(y))
    });
    let format = if k.kind == "os.PathError Op" {
        format!("Op: {:?}", k.format.trim_end_matches(" %s"))
    } else if k.kind.starts_with("literal ") || k.kind == "string literal" {
        k.format.replace("%%", "%")
    } else {
        k.format.clone()
    };
    Candidate {
        format,
        kind: k.kind.clone(),
        literal_chars: k.pattern.literal,
        weak: None,
        sites,
    }
}

/// The module (or top directory) a site belongs to.
fn module_of(site: &Site) -> String {
    let c = &site.cite;
    match &c.vendored_module {
        Some(m) => m.split_whitespace().next().unwrap_or("").to_string(),
        None => format!("{}:{}", c.repo, c.path.split('/').next().unwrap_or("")),
    }
}

/// A wrapped error usually comes from the code next to its wrapper: sites sharing a module with
/// an adjacent segment's best site go first (e.g. the os.PathError "openat2" in the same
/// vendored module as the sentinel that wraps it). The chain decides; this orders the lists.
fn rank_by_affinity(segments: &mut [Segment]) {
    for i in 0..segments.len() {
        let mut near: Vec<String> = Vec::new();
        for j in [i.wrapping_sub(1), i + 1] {
            if let Some(site) = segments
                .get(j)
                .and_then(|s| s.candidates.first())
                .and_then(|c| c.sites.first())
            {
                near.push(module_of(site));
            }
        }
        if let Some(c) = segments[i].candidates.first_mut() {
            c.sites.sort_by_key(|s| !near.contains(&module_of(s)));
        }
    }
}

/// One repository's part of the message: the segments its code explains, read at one
/// revision.
pub(crate) struct Part<'a> {
    repo: String,
    rev: &'a IndexedRev,
    segments: Vec<usize>,
}

/// Which repository explains which segments, and at which revision its part is read.
///
/// Per repository, the revision holding (strong) sites of the most segments, preferring tags to
/// branches, then the newest; repositories are then taken by how many segments they explain
/// (then by the literal text of those sources), and each claims the segments no earlier one
/// did. So a runc fork holding a few of runc's strings, or a vendored copy of one library in
/// a neighbouring project, does not split a part that one repository explains whole.
fn parts<'a>(index: &'a Index, revs: &[&'a IndexedRev], segments: &[Segment]) -> Vec<Part<'a>> {
    // (repo, rev) -> segments with a strong site held there, and the literal text they explain.
    let mut held: BTreeMap<(&str, &str), (BTreeSet<usize>, usize)> = BTreeMap::new();
    for (i, s) in segments.iter().enumerate() {
        for c in s.candidates.iter().filter(|c| c.weak.is_none()) {
            for site in &c.sites {
                for r in site.cite.revs.iter() {
                    let e = held
                        .entry((site.cite.repo.as_str(), r.rev.as_str()))
                        .or_default();
                    if e.0.insert(i) {
                        e.1 += c.literal_chars;
                    }
                }
            }
        }
    }
    let selected = |repo: &str, rev: &str| revs.iter().any(|r| r.repo == repo && r.rev == rev);
    let mut best: BTreeMap<&str, (&IndexedRev, &BTreeSet<usize>, usize)> = BTreeMap::new();
    for repo in held.keys().map(|(r, _)| *r).collect::<BTreeSet<&str>>() {
        let ordered = index.ordered(repo);
        let mut pick: Option<(usize, bool, usize, &IndexedRev)> = None;
        for (pos, r) in ordered.iter().enumerate() {
            let Some((segs, _)) = held.get(&(repo, r.rev.as_str())) else {
                continue;
            };
            if !selected(repo, &r.rev) {
                continue;
            }
            let key = (segs.len(), r.kind == RefKind::Tag, pos, *r);
            if pick.is_none_or(|p| (key.0, key.1, key.2) > (p.0, p.1, p.2)) {
                pick = Some(key);
            }
        }
        if let Some((_, _, _, r)) = pick {
            let (segs, chars) = &held[&(repo, r.rev.as_str())];
            best.insert(repo, (r, segs, *chars));
        }
    }
    let mut order: Vec<(&str, &IndexedRev, &BTreeSet<usize>, usize)> = best
        .into_iter()
        .map(|(repo, (r, s, c))| (repo, r, s, c))
        .collect();
    order.sort_by(|a, b| {
        (b.2.len(), b.3)
            .cmp(&(a.2.len(), a.3))
            .then_with(|| a.0.cmp(b.0))
    });
    let mut claimed: BTreeSet<usize> = BTreeSet::new();
    let mut out = Vec::new();
    for (repo, rev, segs, _) in order {
        let mine: Vec<usize> = segs
            .iter()
            .copied()
            .filter(|s| !claimed.contains(s))
            .collect();
        if mine.is_empty() {
            continue;
        }
        claimed.extend(&mine);
        out.push(Part {
            repo: repo.to_string(),
            rev,
            segments: mine,
        });
    }
    out.sort_by_key(|p| p.segments[0]);
    out
}

/// Per part: the revisions of its repository holding a site of the chosen source of every one
/// of its segments, and the nearest revisions that do not (with what they lack).
fn emission(
    index: &Index,
    revs: &[&IndexedRev],
    segments: &[Segment],
    parts: &[Part],
) -> Vec<RepoEmission> {
    let mut out = Vec::new();
    for part in parts {
        let repo = &part.repo;
        let ordered: Vec<&IndexedRev> = index
            .ordered(repo)
            .into_iter()
            .filter(|r| revs.iter().any(|x| std::ptr::eq(*x, *r)))
            .collect();
        let source = |seg: usize| {
            let s = &segments[seg];
            s.chosen
                .as_ref()
                .map(|c| &s.candidates[c.candidate])
                .or_else(|| s.candidates.iter().find(|c| c.weak.is_none()))
        };
        let holds = |rev: &str, seg: usize| {
            source(seg).is_some_and(|c| {
                c.sites
                    .iter()
                    .any(|s| &s.cite.repo == repo && s.cite.held_by(rev))
            })
        };
        let mask: Vec<bool> = ordered
            .iter()
            .map(|r| part.segments.iter().all(|s| holds(&r.rev, *s)))
            .collect();
        let names: Vec<&str> = ordered.iter().map(|r| r.rev.as_str()).collect();
        let mut nearest = Vec::new();
        for (k, m) in mask.iter().enumerate() {
            let edge = !m && (mask.get(k + 1) == Some(&true) || (k > 0 && mask[k - 1]));
            if edge {
                let lacks: Vec<usize> = part
                    .segments
                    .iter()
                    .copied()
                    .filter(|s| !holds(&ordered[k].rev, *s))
                    .collect();
                nearest.push((ordered[k].rev.clone(), lacks));
            }
        }
        out.push(RepoEmission {
            repo: repo.clone(),
            at: format!("{}@{}", part.rev.repo, part.rev.rev),
            emit: crate::index::selector::compress(&names, &mask),
            revs: ordered
                .iter()
                .zip(&mask)
                .filter(|(_, m)| **m)
                .map(|(r, _)| r.rev.clone())
                .collect(),
            nearest_without: nearest,
            segments: part.segments.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_match_any_text_and_literals_exactly() {
        let p = compile("open sysctl %s file").unwrap();
        assert!(p.matches("open sysctl net.ipv4.ip_unprivileged_port_start file"));
        assert!(!p.matches("open sysctl x files"));
        assert_eq!(p.literal, "open sysctl ".len() + " file".len());
        let p = compile("short write (%-5d bytes != %08.3x) 100%%").unwrap();
        assert!(p.matches("short write (3 bytes != 10) 100%"));
        let q = compile("failed to write %q").unwrap();
        assert!(q.matches("failed to write \"4242\""));
        assert!(!q.matches("failed to write 4242"));
        let d = compile("short write (%d bytes != %d bytes)").unwrap();
        assert!(d.matches("short write (3 bytes != 10 bytes)"));
        assert!(!d.matches("short write (three bytes != 10 bytes)"));
        let p = compile("OCI runtime create failed").unwrap();
        assert!(p.matches("OCI runtime create failed"));
        assert!(!p.matches("OCI runtime create failed!"));
    }

    #[test]
    fn a_verb_taking_several_words_is_weak() {
        let generic = compile("%s failed").unwrap();
        assert!(weakness(&generic, "OCI runtime create failed").is_some());
        let invalid = compile("invalid %s").unwrap();
        assert!(weakness(&invalid, "invalid cross-device link").is_some());
        let key = compile("open sysctl %s file").unwrap();
        assert!(weakness(&key, "open sysctl net.ipv4.ip_unprivileged_port_start file").is_none());
        let op = compile("openat2 %s").unwrap();
        assert!(weakness(&op, "openat2 /proc/./sys/net/ipv4/x").is_none());
    }

    #[test]
    fn pieces_normalise_wrapped_lines() {
        assert_eq!(pieces("a: b\n   c: d"), ["a", "b c", "d"]);
    }
}
