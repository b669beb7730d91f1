//! `archeo explain`: a runtime error message -> the code that emits each wrapped segment, the
//! call chain between them where the index shows it, and the revisions that emit it all.
//!
//! Go error chains join layers with ": " (`fmt.Errorf("open sysctl %s file: %w", key, err)`),
//! but a layer may contain ": " itself, so segmentation is a search: every span of ": "-pieces
//! is matched against the indexed format strings (verbs match any text, literal parts exactly)
//! and errno texts, and the segmentation explaining the most literal text wins.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Result;
use serde::Serialize;

use crate::index::catalog::IndexedRev;
use crate::index::citation::Citation;
use crate::index::store::StoredLiteral;
use crate::index::{Index, Places};

/// A place emitting a segment.
#[derive(Debug, Clone)]
pub struct Site {
    /// The literal's line, cited with the revisions holding it.
    pub cite: Citation,
    /// The function holding it.
    pub function: Option<String>,
}

/// A format string that explains a segment, with every site holding it.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The format string as written (`open sysctl %s file: %w`), or `Op: "openat2"`.
    pub format: String,
    /// How the literal is used: fmt.Errorf, errors.New (sentinel errX), os.PathError Op, ...
    pub kind: String,
    /// Characters of literal text it matches: the ranking.
    pub literal_chars: usize,
    /// Where it stands, best first.
    pub sites: Vec<Site>,
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
}

/// How segment `from` leads to segment `to`.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// The outer segment (index).
    pub from: usize,
    /// The inner segment (index).
    pub to: usize,
    /// `WriteSysctls calls procfsOpenRoot (internal/sys/sysctl_linux.go:39)` or why not shown.
    pub how: String,
    /// The call path from the outer segment's function to the inner one's (from the child's
    /// entry point when `how` says the link crosses a process boundary), each hop cited.
    pub hops: Vec<crate::query::xref::Hop>,
    /// The link crosses a process boundary: the inner error was written by a child process.
    pub boundary: bool,
}

/// The revisions of one repository that emit the whole message.
#[derive(Debug, Clone, Serialize)]
pub struct RepoEmission {
    /// Repository name.
    pub repo: String,
    /// Compressed: `v1.2.8, v1.3.3..v1.3.6`
    pub emit: String,
    /// The emitting revisions, in version order.
    pub revs: Vec<String>,
    /// Nearest revisions that do not emit it, with the segments they lack.
    pub nearest_without: Vec<(String, Vec<usize>)>,
    /// Segments (indices) explained in this repository.
    pub segments: Vec<usize>,
}

/// What `archeo explain` found.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The message, whitespace normalised.
    pub message: String,
    /// Its segments, outermost first.
    pub segments: Vec<Segment>,
    /// How consecutive segments are linked.
    pub chain: Vec<Link>,
    /// Per repository, the revisions emitting it whole.
    pub emitted_by: Vec<RepoEmission>,
}

impl Explanation {
    /// Every segment has a source or is an errno text.
    pub fn all_explained(&self) -> bool {
        self.segments
            .iter()
            .all(|s| s.errno.is_some() || !s.candidates.is_empty())
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

/// A pattern compiled from a format string: the regex, its literal length, its literal parts,
/// and the literal text it must start and end with (checked before the regex runs).
struct Pattern {
    re: regex::Regex,
    literal: usize,
    parts: Vec<String>,
    starts: String,
    ends: String,
}

/// Compiles a Go format string into a full-match regex: verbs (`%s %d %v %q %w %x`, with flags,
/// widths and precisions) match any text; `%%` is a literal percent.
fn compile(format: &str) -> Option<Pattern> {
    let mut re = String::from("^");
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut literal = 0;
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
        literal += lit.chars().count();
        re.push_str(&regex::escape(&lit));
        starts.get_or_insert_with(|| lit.clone());
        if !lit.is_empty() {
            parts.push(std::mem::take(&mut lit));
        }
        re.push_str("(.*?)");
    }
    let ends = lit.clone();
    literal += lit.chars().count();
    re.push_str(&regex::escape(&lit));
    if !lit.is_empty() {
        parts.push(lit);
    }
    re.push('$');
    Some(Pattern {
        re: regex::RegexBuilder::new(&re)
            .dot_matches_new_line(true)
            .build()
            .ok()?,
        literal,
        parts,
        starts: starts.unwrap_or_else(|| ends.clone()),
        ends,
    })
}

impl Pattern {
    /// Does the whole of `text` match?
    fn matches(&self, text: &str) -> bool {
        text.starts_with(&self.starts) && text.ends_with(&self.ends) && self.re.is_match(text)
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
    let mut memo = HashMap::new();
    let mut segments: Vec<Segment> = segmentation(ps.len(), &spans)
        .into_iter()
        .map(|(i, j)| {
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
    let chain = links(index, &segments)?;
    let emitted_by = emission(index, &revs, &segments);
    Ok(Explanation {
        message,
        segments,
        chain,
        emitted_by,
    })
}

/// Format strings sharing a token with the message whose literal parts all occur in it.
fn known_formats(index: &Index, message: &str) -> Result<Vec<Known>> {
    let tokens = crate::index::tokenize::token_set(message);
    let mut by_format: HashMap<String, (String, Vec<StoredLiteral>)> = HashMap::new();
    for l in index.literals_with_any(&tokens)? {
        if let Some((f, kind)) = l.lang.language().error_format(&l.lit) {
            by_format
                .entry(f)
                .or_insert_with(|| (kind, Vec::new()))
                .1
                .push(l);
        }
    }
    let compiled: Vec<(String, String, Pattern, Vec<StoredLiteral>)> = by_format
        .into_iter()
        .filter_map(|(format, (kind, literals))| {
            let pattern = compile(&format)?;
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
    known.sort_by(|a, b| a.format.cmp(&b.format));
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
        };
    };
    // A message repeating a layer cites the same sites again: each format is placed once.
    let mut candidates: Vec<Candidate> = matched
        .iter()
        .map(|k| {
            memo.entry(*k)
                .or_insert_with(|| candidate(index, &known[*k], places))
                .clone()
        })
        .collect();
    // Alternatives with less than half the best literal text are noise ("%d to %d").
    if let Some(best) = candidates.first().map(|c| c.literal_chars) {
        candidates.retain(|c| c.literal_chars * 2 >= best);
    }
    Segment {
        text: text.to_string(),
        errno: errno.map(|(num, name, _)| format!("{name} ({num})")),
        candidates,
    }
}

fn candidate(index: &Index, k: &Known, places: &Places) -> Candidate {
    let mut sites = Vec::new();
    for l in &k.literals {
        for place in places.get(&l.blob).into_iter().flatten() {
            sites.push(Site {
                cite: index.cite(&l.blob, place, l.lit.line, l.lit.line),
                function: l.decl.clone(),
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
    } else {
        k.format.clone()
    };
    Candidate {
        format,
        kind: k.kind.clone(),
        literal_chars: k.pattern.literal,
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
/// vendored module as the sentinel that wraps it).
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

/// Direct calls between the functions holding consecutive segments, where the index shows them.
fn links(index: &Index, segments: &[Segment]) -> Result<Vec<Link>> {
    let mut out = Vec::new();
    // Repeated layers ask the same question again; the index answers each once.
    let mut memo: HashMap<String, LinkFound> = HashMap::new();
    let mut loader = crate::query::xref::Loader::new(index);
    let explained: Vec<usize> = (0..segments.len())
        .filter(|i| !segments[*i].candidates.is_empty())
        .collect();
    for w in explained.windows(2) {
        let (a, b) = (&segments[w[0]].candidates[0], &segments[w[1]].candidates[0]);
        let (Some(sa), Some(sb)) = (a.sites.first(), b.sites.first()) else {
            continue;
        };
        let (Some(fa), Some(fb)) = (&sa.function, &sb.function) else {
            continue;
        };
        let callee = fb.rsplit('.').next().unwrap_or(fb);
        let key = format!(
            "{}\0{}\0{}\0{}\0{}\0{}\0{}\0{}",
            a.kind, b.kind, sa.cite.repo, sa.cite.rev, sa.cite.blob, sa.cite.path, fa, fb
        );
        let (how, hops, boundary) = match memo.get(&key) {
            Some(h) => h.clone(),
            None => {
                let h = if a.kind.starts_with("sentinel") {
                    (sentinel_link(index, a, sa, fa, callee)?, Vec::new(), false)
                } else {
                    match graph_link(index, &mut loader, sa, fa, sb, fb)? {
                        Some(found) => found,
                        None => (
                            direct_link(index, sa, fa, fb, callee, b.kind.starts_with("sentinel"))?,
                            Vec::new(),
                            false,
                        ),
                    }
                };
                memo.insert(key, h.clone());
                h
            }
        };
        out.push(Link {
            from: w[0],
            to: w[1],
            how,
            hops,
            boundary,
        });
    }
    Ok(out)
}

/// How a link was found: the sentence, the hops, whether it crosses a process boundary.
type LinkFound = (String, Vec<crate::query::xref::Hop>, bool);

/// `fb` as the graph names it, qualified by the directory of the file holding it.
fn function_name(f: &str, path: &str) -> Option<crate::xref::Name> {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let q = if dir.is_empty() {
        f.to_string()
    } else {
        format!("{dir}.{f}")
    };
    crate::xref::Name::parse(&q).ok()
}

/// The call path from `fa` (holding `sa`) to `fb` (holding `sb`) in the reference graph of
/// `sa`'s revision, of any depth; or, when `fa`'s code starts a child process of itself, the
/// child's path from its entry point to `fb`. None when the graph shows neither.
fn graph_link(
    index: &Index,
    loader: &mut crate::query::xref::Loader,
    sa: &Site,
    fa: &str,
    sb: &Site,
    fb: &str,
) -> Result<Option<LinkFound>> {
    use crate::query::xref::{Reach, reach};
    if sa.cite.repo != sb.cite.repo {
        return Ok(None);
    }
    let (Some(from), Some(to)) = (
        function_name(fa, &sa.cite.path),
        function_name(fb, &sb.cite.path),
    ) else {
        return Ok(None);
    };
    let rev = index.resolve(&format!("{}@{}", sa.cite.repo, sa.cite.rev))?;
    Ok(match reach(loader, rev, &from, &to)? {
        Reach::Calls(hops) => {
            let how = match hops.as_slice() {
                [h] => format!("{fa} calls {} ({}:{})", h.to, h.path, h.line),
                _ => format!(
                    "{fa} reaches {fb} through {} calls: {}",
                    hops.len(),
                    hop_names(&hops)
                ),
            };
            Some((how, hops, false))
        }
        Reach::Child {
            word,
            spawn,
            entry,
            entry_at,
            hops,
        } => Some((
            format!(
                "process boundary: {fa} reports an error its child process wrote back to it; the \
                 child is this program run as `{word}` (started at {spawn}), whose entry point \
                 {entry} ({entry_at}) reaches {fb} through {} call{}: {}",
                hops.len(),
                if hops.len() == 1 { "" } else { "s" },
                hop_names(&hops)
            ),
            hops,
            true,
        )),
        Reach::Unknown => None,
    })
}

/// `main.init → libcontainer.Init → sys.WriteSysctls`.
fn hop_names(hops: &[crate::query::xref::Hop]) -> String {
    let mut names: Vec<&str> = hops.iter().take(1).map(|h| h.from.as_str()).collect();
    names.extend(hops.iter().map(|h| h.to.as_str()));
    names.join(" → ")
}

/// Does function `fa` (holding site `sa`) call `callee` directly?
fn direct_link(
    index: &Index,
    sa: &Site,
    fa: &str,
    fb: &str,
    callee: &str,
    b_is_sentinel: bool,
) -> Result<String> {
    let mut how = format!("no call path from {fa} to {fb} in the reference graph");
    if let Some(file) = index.file_by_blob(&sa.cite.blob)? {
        let (_, parsed) = file.parsed()?;
        if let Some(d) = file.decls.iter().find(|d| d.name == fa) {
            if let Some(c) = parsed.calls.iter().find(|c| {
                c.line >= d.start && c.line <= d.end && c.callee.rsplit('.').next() == Some(callee)
            }) {
                how = format!("{fa} calls {} ({}:{})", c.callee, sa.cite.path, c.line);
            } else if b_is_sentinel {
                how = format!(
                    "{fb} is a sentinel error; the error {fa} wraps carries it (through the functions that return it)"
                );
            }
        }
    }
    Ok(how)
}

/// How a sentinel (segment N) meets segment N+1: the functions of the sentinel's package that
/// use it, and whether one of them calls the function holding segment N+1.
fn sentinel_link(
    index: &Index,
    c: &Candidate,
    site: &Site,
    var: &str,
    next_fn: &str,
) -> Result<String> {
    let var = c.kind.split_whitespace().nth(1).unwrap_or(var);
    let dir = site.cite.path.rsplit_once('/').map_or("", |(d, _)| d);
    let q = crate::query::syntax::Query::parse(var)?;
    let scope = crate::query::search::Scope {
        at: vec![format!("{}@{}", site.cite.repo, site.cite.rev)],
        path: Some(format!("{dir}/")),
        ..Default::default()
    };
    let res = crate::query::search::search(index, &q, &scope, 0, None)?.complete()?;
    let users: Vec<&crate::query::search::Hit> = res
        .hits
        .iter()
        .filter(|h| {
            h.symbol.as_deref().is_some_and(|s| s != var) && !h.text.trim_start().starts_with("//")
        })
        .collect();
    for h in &users {
        let Some(file) = index.file_by_blob(&h.cite.blob)? else {
            continue;
        };
        let (_, parsed) = file.parsed()?;
        let Some(d) = file.decl_at(h.line()) else {
            continue;
        };
        if let Some(call) = parsed.calls.iter().find(|x| {
            x.line >= d.start && x.line <= d.end && x.callee.rsplit('.').next() == Some(next_fn)
        }) {
            return Ok(format!(
                "{} wraps {var} ({}:{}) around the error of {} ({}:{})",
                d.name,
                h.cite.path,
                h.line(),
                call.callee,
                h.cite.path,
                call.line
            ));
        }
    }
    let names: BTreeSet<&str> = users.iter().filter_map(|h| h.symbol.as_deref()).collect();
    Ok(if names.is_empty() {
        format!("{var} is a sentinel error; no function using it was found next to it")
    } else {
        format!(
            "{var} is used by {}; none of them calls {next_fn} directly",
            names.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

/// Per repository: the revisions holding a site of every segment explained there.
fn emission(index: &Index, revs: &[&IndexedRev], segments: &[Segment]) -> Vec<RepoEmission> {
    let mut repos: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in segments.iter().enumerate() {
        for c in s.candidates.iter().take(1) {
            for site in &c.sites {
                let e = repos.entry(site.cite.repo.clone()).or_default();
                if !e.contains(&i) {
                    e.push(i);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (repo, segs) in repos {
        let ordered: Vec<&IndexedRev> = index
            .ordered(&repo)
            .into_iter()
            .filter(|r| revs.iter().any(|x| std::ptr::eq(*x, *r)))
            .collect();
        // Which segments each revision holds (top candidate, any site in this repo).
        let holds = |rev: &str, seg: usize| {
            segments[seg].candidates.first().is_some_and(|c| {
                c.sites
                    .iter()
                    .any(|s| s.cite.repo == repo && s.cite.held_by(rev))
            })
        };
        let mask: Vec<bool> = ordered
            .iter()
            .map(|r| segs.iter().all(|s| holds(&r.rev, *s)))
            .collect();
        let names: Vec<&str> = ordered.iter().map(|r| r.rev.as_str()).collect();
        let mut nearest = Vec::new();
        for (k, m) in mask.iter().enumerate() {
            let edge = !m && (mask.get(k + 1) == Some(&true) || (k > 0 && mask[k - 1]));
            if edge {
                let lacks: Vec<usize> = segs
                    .iter()
                    .copied()
                    .filter(|s| !holds(&ordered[k].rev, *s))
                    .collect();
                nearest.push((ordered[k].rev.clone(), lacks));
            }
        }
        out.push(RepoEmission {
            emit: crate::index::selector::compress(&names, &mask),
            revs: ordered
                .iter()
                .zip(&mask)
                .filter(|(_, m)| **m)
                .map(|(r, _)| r.rev.clone())
                .collect(),
            repo,
            nearest_without: nearest,
            segments: segs,
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
        assert!(p.re.is_match("open sysctl net.ipv4.ip_unprivileged_port_start file"));
        assert!(!p.re.is_match("open sysctl x files"));
        assert_eq!(p.literal, "open sysctl ".len() + " file".len());
        let p = compile("short write (%-5d bytes != %08.3x) 100%%").unwrap();
        assert!(p.re.is_match("short write (3 bytes != 10) 100%"));
    }

    #[test]
    fn pieces_normalise_wrapped_lines() {
        assert_eq!(pieces("a: b\n   c: d"), ["a", "b c", "d"]);
    }
}
